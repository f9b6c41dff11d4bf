import { z } from 'zod';
import { Alliance, Corporation } from '../../store/entities/index.ts';
import { recordAlliance } from '../../services/alliances.ts';
import {
  corporationDetails,
  describeCorporation,
  getCorporation,
  trackCorporation,
  updateCorporation,
  type CorporationEsiFacts,
} from '../../services/corporations.ts';
import { pageInput, toPage } from '../../services/pagination.ts';
import { askEsi, auditChange, directoryChanged, trackedFacts } from '../effects.ts';
import { esiScopes, eveId, loginFlag, name, ticker } from '../inputs.ts';
import { corporationGuestsRouter } from './guests.ts';
import { router, scoped } from '../trpc.ts';

export const corporationRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ allianceId: eveId.optional(), tracked: z.boolean().optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.deps.db.fork().find(
        Corporation,
        {
          ...(input.allianceId !== undefined ? { allianceId: input.allianceId } : {}),
          ...(input.tracked !== undefined ? { tracked: input.tracked } : {}),
          ...(input.cursor ? { id: { $gt: input.cursor } } : {}),
        },
        { orderBy: { id: 'asc' }, limit: input.limit + 1 },
      );
      const page = toPage(rows, input.limit);
      return { items: page.items.map(describeCorporation), nextCursor: page.nextCursor };
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
      if (esi) {
        const fetched = facts as CorporationEsiFacts;
        const allianceId = fetched.allianceId;
        if (allianceId !== null && !(await em.findOne(Alliance, { allianceId }, { fields: ['id'] }))) {
          const alliance = await askEsi(ctx, `alliance ${allianceId}`, () => esi.fetchAlliance(allianceId));
          if (alliance) {
            await recordAlliance(em, allianceId, alliance, { track: false, refreshedAt });
            auditChange(ctx, em, {
              action: 'alliance.record',
              subject: `alliance:${allianceId}`,
              after: alliance,
            });
          } else facts = { ...fetched, allianceId: null };
        }
      }
      const { corporation, before } = await trackCorporation(em, corporationId, facts, refreshedAt);
      const after = describeCorporation(corporation);
      auditChange(ctx, em, {
        action: 'corporation.track',
        subject: `corporation:${corporationId}`,
        before,
        after,
      });
      await em.flush();
      await directoryChanged(ctx, em, 'corporation.track');
      return corporationDetails(em, corporation);
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
      const { corporation, before, after, loginChanged } = await updateCorporation(
        em,
        corporationId,
        changes,
      );
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        auditChange(ctx, em, {
          action: 'corporation.update',
          subject: `corporation:${corporationId}`,
          before,
          after,
        });
        await em.flush();
      }
      if (loginChanged) await directoryChanged(ctx, em, 'corporation.update');
      return corporationDetails(em, corporation);
    }),
  guests: corporationGuestsRouter,
});
