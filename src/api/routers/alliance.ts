import { z } from 'zod';
import {
  allianceDetails,
  getAlliance,
  listAlliances,
  refreshAlliance,
  trackAlliance,
  updateAlliance,
} from '../../services/alliances.ts';
import { pageInput } from '../../services/pagination.ts';
import { esiOf, requireEsi, useCaseOf } from '../effects.ts';
import { esiScopes, eveId, loginFlag, name, ticker } from '../inputs.ts';
import { allianceGuestsRouter } from './guests.ts';
import { router, scoped } from '../trpc.ts';

export const allianceRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ tracked: z.boolean().optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      return listAlliances(ctx.deps.db.fork(), input);
    }),
  get: scoped('directory.read')
    .input(z.strictObject({ allianceId: eveId }))
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      return allianceDetails(em, await getAlliance(em, input.allianceId));
    }),
  /** Tracks an alliance: facts from ESI, or given as input where no ESI is wired (tests, offline). */
  track: scoped('corporation.track')
    .input(
      z.strictObject({
        allianceId: eveId,
        name: name.optional(),
        ticker: ticker.optional(),
        executorCorporationId: eveId.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const alliance = await trackAlliance(useCaseOf(ctx), esiOf(ctx), input);
      return allianceDetails(ctx.deps.db.fork(), alliance);
    }),
  /**
   * Refreshes one alliance now, straight from ESI past the local cache: the alliance, the
   * corporations the directory has in it (one that left leaves it) and, when tracked, the ones ESI
   * lists in it; audited, and the groups follow.
   */
  refresh: scoped('corporation.track')
    .input(z.strictObject({ allianceId: eveId }))
    .mutation(async ({ ctx, input }) => {
      const { after, refreshed } = await refreshAlliance(useCaseOf(ctx), requireEsi(ctx), input.allianceId);
      return { ...refreshed, alliance: after };
    }),
  update: scoped('corporation.update')
    .input(
      z.strictObject({
        allianceId: eveId,
        authorizedToLogin: loginFlag.optional(),
        mandatoryEsiScopes: esiScopes.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { alliance } = await updateAlliance(useCaseOf(ctx), input);
      return allianceDetails(ctx.deps.db.fork(), alliance);
    }),
  guests: allianceGuestsRouter,
});
