import { z } from 'zod';
import { Coalition } from '../../store/entities/index.ts';
import {
  createCoalition,
  deleteCoalition,
  describeCoalition,
  describeCoalitions,
  getCoalition,
  updateCoalition,
} from '../../services/coalitions.ts';
import { pageInput, toPage } from '../../services/pagination.ts';
import { auditChange, directoryChanged } from '../effects.ts';
import { esiScopes, eveId, id, loginFlag, name, ticker } from '../inputs.ts';
import { router, scoped } from '../trpc.ts';

/** Members by EVE id or by ticker. */
const members = z.array(z.union([eveId, ticker])).max(1000);
const description = z.string().max(2000);

export const coalitionRouter = router({
  list: scoped('directory.read')
    .input(pageInput.prefault({}))
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const rows = await em.find(Coalition, input.cursor ? { id: { $gt: input.cursor } } : {}, {
        orderBy: { id: 'asc' },
        limit: input.limit + 1,
      });
      const page = toPage(rows, input.limit);
      return { items: await describeCoalitions(em, page.items), nextCursor: page.nextCursor };
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
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const coalition = await createCoalition(em, input);
      const after = await describeCoalition(em, coalition);
      auditChange(ctx, em, {
        action: 'coalition.create',
        subject: `coalition:${coalition.id}`,
        after,
      });
      await em.flush();
      await directoryChanged(ctx, em, 'coalition.create');
      return after;
    }),
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
      const em = ctx.deps.db.fork();
      const { id: coalitionId, ...changes } = input;
      const { before, after } = await updateCoalition(em, coalitionId, changes);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        auditChange(ctx, em, {
          action: 'coalition.update',
          subject: `coalition:${coalitionId}`,
          before,
          after,
        });
        await em.flush();
        await directoryChanged(ctx, em, 'coalition.update');
      }
      return after;
    }),
  delete: scoped('coalition.write')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const before = await deleteCoalition(em, input.id);
      auditChange(ctx, em, {
        action: 'coalition.delete',
        subject: `coalition:${input.id}`,
        before,
      });
      await em.flush();
      await directoryChanged(ctx, em, 'coalition.delete');
      return { deleted: true as const };
    }),
});
