import { z } from 'zod';
import {
  createCoalition,
  deleteCoalition,
  describeCoalition,
  getCoalition,
  listCoalitions,
  updateCoalition,
} from '../../services/coalitions.ts';
import { pageInput } from '../../services/pagination.ts';
import { useCaseOf } from '../effects.ts';
import { esiScopes, eveId, id, loginFlag, name, ticker } from '../inputs.ts';
import { router, scoped } from '../trpc.ts';

/** Members by EVE id or by ticker. */
const members = z.array(z.union([eveId, ticker])).max(1000);
const description = z.string().max(2000);

export const coalitionRouter = router({
  list: scoped('directory.read')
    .input(pageInput.prefault({}))
    .query(async ({ ctx, input }) => {
      return listCoalitions(ctx.deps.db.fork(), input);
    }),
  get: scoped('directory.read')
    .input(
      z
        .strictObject({ id: id.optional(), ticker: ticker.optional() })
        .refine((x) => (x.id === undefined) !== (x.ticker === undefined), 'give either id or ticker'),
    )
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      return describeCoalition(em, await getCoalition(em, input));
    }),
  create: scoped('coalition.write')
    .input(
      z.strictObject({
        name,
        ticker,
        description: description.default(''),
        alliances: members.default([]),
        corporations: members.default([]),
        authorizedToLogin: loginFlag.default(null),
        mandatoryEsiScopes: esiScopes.default([]),
      }),
    )
    .mutation(({ ctx, input }) => createCoalition(useCaseOf(ctx), input)),
  /** `alliances`/`corporations` replace the members; `add*`/`remove*` change some (after a replacement). */
  update: scoped('coalition.write')
    .input(
      z.strictObject({
        id,
        name: name.optional(),
        ticker: ticker.optional(),
        description: description.optional(),
        alliances: members.optional(),
        corporations: members.optional(),
        addAlliances: members.optional(),
        removeAlliances: members.optional(),
        addCorporations: members.optional(),
        removeCorporations: members.optional(),
        authorizedToLogin: loginFlag.optional(),
        mandatoryEsiScopes: esiScopes.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { id: coalitionId, ...changes } = input;
      const { after } = await updateCoalition(useCaseOf(ctx), coalitionId, changes);
      return after;
    }),
  delete: scoped('coalition.write')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      await deleteCoalition(useCaseOf(ctx), input.id);
      return { deleted: true as const };
    }),
});
