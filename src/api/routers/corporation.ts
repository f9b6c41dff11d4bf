import { z } from 'zod';
import {
  corporationDetails,
  getCorporation,
  listCorporations,
  refreshCorporation,
  trackCorporation,
  updateCorporation,
} from '../../services/corporations.ts';
import { pageInput } from '../../services/pagination.ts';
import { esiOf, requireEsi, useCaseOf } from '../effects.ts';
import { esiScopes, eveId, loginFlag, name, ticker } from '../inputs.ts';
import { corporationGuestsRouter } from './guests.ts';
import { router, scoped } from '../trpc.ts';

export const corporationRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ allianceId: eveId.optional(), tracked: z.boolean().optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      return listCorporations(ctx.deps.db.fork(), input);
    }),
  get: scoped('directory.read')
    .input(z.strictObject({ corporationId: eveId }))
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      return corporationDetails(em, await getCorporation(em, input.corporationId));
    }),
  /**
   * Tracks a corporation: its facts come from ESI (and its alliance is recorded too); where no
   * ESI is wired (tests, offline) they are given as input instead.
   */
  track: scoped('corporation.track')
    .input(
      z.strictObject({
        corporationId: eveId,
        name: name.optional(),
        ticker: ticker.optional(),
        ceoCharacterId: eveId.nullable().optional(),
        allianceId: eveId.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const corporation = await trackCorporation(useCaseOf(ctx), esiOf(ctx), input);
      return corporationDetails(ctx.deps.db.fork(), corporation);
    }),
  /**
   * Refreshes one corporation now, straight from ESI past the local cache (its alliance too), as
   * the daily job would later; audited, and the groups follow.
   */
  refresh: scoped('corporation.track')
    .input(z.strictObject({ corporationId: eveId }))
    .mutation(async ({ ctx, input }) => {
      const { after, refreshed } = await refreshCorporation(
        useCaseOf(ctx),
        requireEsi(ctx),
        input.corporationId,
      );
      return { ...refreshed, corporation: after };
    }),
  update: scoped('corporation.update')
    .input(
      z.strictObject({
        corporationId: eveId,
        authorizedToLogin: loginFlag.optional(),
        mandatoryEsiScopes: esiScopes.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { corporation } = await updateCorporation(useCaseOf(ctx), input);
      return corporationDetails(ctx.deps.db.fork(), corporation);
    }),
  guests: corporationGuestsRouter,
});
