import { z } from 'zod';
import { recordAlliance, type AllianceEsiFacts } from '../../services/alliances.ts';
import {
  corporationDetails,
  describeCorporation,
  getCorporation,
  knowsAlliance,
  listCorporations,
  trackCorporation,
  updateCorporation,
  type CorporationEsiFacts,
} from '../../services/corporations.ts';
import { pageInput } from '../../services/pagination.ts';
import {
  askEsi,
  auditRetickered,
  change,
  directoryChanged,
  refreshAudited,
  tickerNowOf,
  trackedFacts,
} from '../effects.ts';
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
      const em = ctx.deps.db.fork();
      const { corporationId, ...given } = input;
      const tracked = await trackedFacts<CorporationEsiFacts>(
        ctx,
        'corporation',
        corporationId,
        given,
        (esi) => esi.fetchCorporation(corporationId),
      );
      const { refreshedAt, esi } = tracked;
      let facts = tracked.facts;
      // The corporation's alliance, when the directory does not know it yet, is recorded with it.
      let newAlliance: { allianceId: number; facts: AllianceEsiFacts } | null = null;
      if (esi) {
        const fetched = facts as CorporationEsiFacts;
        const allianceId = fetched.allianceId;
        if (allianceId !== null && !(await knowsAlliance(em, allianceId))) {
          const alliance = await askEsi(ctx, `alliance ${allianceId}`, () => esi.fetchAlliance(allianceId));
          if (alliance) newAlliance = { allianceId, facts: alliance };
          else facts = { ...fetched, allianceId: null };
        }
      }
      const corporation = await change(ctx, async (tx, audit) => {
        if (newAlliance) {
          const { allianceId, facts: alliance } = newAlliance;
          const { retickered } = await recordAlliance(tx, allianceId, alliance, {
            track: false,
            refreshedAt,
            tickerNow: tickerNowOf(ctx, esi, 'alliance'),
          });
          auditRetickered(audit, 'alliance', retickered);
          audit({ action: 'alliance.record', subject: `alliance:${allianceId}`, after: alliance });
        }
        const { corporation, before, retickered } = await trackCorporation(
          tx,
          corporationId,
          facts,
          refreshedAt,
          tickerNowOf(ctx, esi, 'corporation'),
        );
        auditRetickered(audit, 'corporation', retickered);
        const after = describeCorporation(corporation);
        audit({ action: 'corporation.track', subject: `corporation:${corporationId}`, before, after });
        return corporation;
      });
      await directoryChanged(ctx, 'corporation.track');
      return corporationDetails(em, corporation);
    }),
  /**
   * Refreshes one corporation now, straight from ESI past the local cache (its alliance too), as
   * the daily job would later; audited, and the groups follow.
   */
  refresh: scoped('corporation.track')
    .input(z.strictObject({ corporationId: eveId }))
    .mutation(async ({ ctx, input }) => {
      const { after, refreshed } = await refreshAudited(
        ctx,
        'corporation',
        input.corporationId,
        async (em) => describeCorporation(await getCorporation(em, input.corporationId)),
        (esi, em) => esi.refreshCorporation(em, input.corporationId),
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
      const em = ctx.deps.db.fork();
      const { corporationId, ...changes } = input;
      const { corporation, loginChanged } = await change(ctx, async (tx, audit) => {
        const updated = await updateCorporation(tx, corporationId, changes);
        const { before, after } = updated;
        if (JSON.stringify(before) !== JSON.stringify(after))
          audit({ action: 'corporation.update', subject: `corporation:${corporationId}`, before, after });
        return updated;
      });
      if (loginChanged) await directoryChanged(ctx, 'corporation.update');
      return corporationDetails(em, corporation);
    }),
  guests: corporationGuestsRouter,
});
