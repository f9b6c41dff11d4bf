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
import { authorOf, directoryChanged, esiOf, requireEsi } from '../effects.ts';
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
      const em = ctx.deps.db.fork();
      const alliance = await trackAlliance(ctx.deps.db, authorOf(ctx), esiOf(ctx), input);
      await directoryChanged(ctx, 'alliance.track');
      return allianceDetails(em, alliance);
    }),
  /**
   * Refreshes one alliance now, straight from ESI past the local cache: the alliance, the
   * corporations the directory has in it (one that left leaves it) and, when tracked, the ones ESI
   * lists in it; audited, and the groups follow.
   */
  refresh: scoped('corporation.track')
    .input(z.strictObject({ allianceId: eveId }))
    .mutation(async ({ ctx, input }) => {
      const { after, refreshed } = await refreshAlliance(
        ctx.deps.db,
        authorOf(ctx),
        requireEsi(ctx),
        input.allianceId,
      );
      await directoryChanged(ctx, 'alliance.refresh');
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
      const em = ctx.deps.db.fork();
      const { alliance, loginChanged } = await updateAlliance(ctx.deps.db, authorOf(ctx), input);
      if (loginChanged) await directoryChanged(ctx, 'alliance.update');
      return allianceDetails(em, alliance);
    }),
  guests: allianceGuestsRouter,
});
