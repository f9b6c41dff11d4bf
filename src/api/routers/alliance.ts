import { z } from 'zod';
import {
  allianceDetails,
  describeAlliance,
  getAlliance,
  listAlliances,
  recordAlliance,
  updateAlliance,
  type AllianceEsiFacts,
} from '../../services/alliances.ts';
import { pageInput } from '../../services/pagination.ts';
import {
  auditRetickered,
  change,
  directoryChanged,
  refreshAudited,
  tickerNowOf,
  trackedFacts,
} from '../effects.ts';
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
      const { allianceId, ...given } = input;
      const { facts, refreshedAt, esi } = await trackedFacts<AllianceEsiFacts>(
        ctx,
        'alliance',
        allianceId,
        given,
        (esi) => esi.fetchAlliance(allianceId),
      );
      const alliance = await change(ctx, async (tx, audit) => {
        const { alliance, before, retickered } = await recordAlliance(tx, allianceId, facts, {
          track: true,
          refreshedAt,
          tickerNow: tickerNowOf(ctx, esi, 'alliance'),
        });
        auditRetickered(audit, 'alliance', retickered);
        audit({
          action: 'alliance.track',
          subject: `alliance:${allianceId}`,
          before,
          after: describeAlliance(alliance),
        });
        return alliance;
      });
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
      const { after, refreshed } = await refreshAudited(
        ctx,
        'alliance',
        input.allianceId,
        async (em) => describeAlliance(await getAlliance(em, input.allianceId)),
        (esi, em) => esi.refreshAlliance(em, input.allianceId),
        (after, refreshed) => ({ ...after, ...refreshed }),
      );
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
      const { allianceId, ...changes } = input;
      const { alliance, loginChanged } = await change(ctx, async (tx, audit) => {
        const updated = await updateAlliance(tx, allianceId, changes);
        const { before, after } = updated;
        if (JSON.stringify(before) !== JSON.stringify(after))
          audit({ action: 'alliance.update', subject: `alliance:${allianceId}`, before, after });
        return updated;
      });
      if (loginChanged) await directoryChanged(ctx, 'alliance.update');
      return allianceDetails(em, alliance);
    }),
  guests: allianceGuestsRouter,
});
