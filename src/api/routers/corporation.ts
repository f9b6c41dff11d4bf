import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { Alliance, Corporation } from '../../store/entities/index.ts';
import { recordAlliance } from '../../services/alliances.ts';
import { audit } from '../../services/audit.ts';
import {
  corporationDetails,
  describeCorporation,
  getCorporation,
  trackCorporation,
  updateCorporation,
  type CorporationEsiFacts,
} from '../../services/corporations.ts';
import { pageInput, toPage } from '../../services/pagination.ts';
import { askEsi, directoryChanged } from '../effects.ts';
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
      let facts: Partial<CorporationEsiFacts> = given;
      let refreshedAt: Date | null = null;
      const esi = ctx.deps.directoryEsi;
      if (esi) {
        if (Object.values(given).some((v) => v !== undefined)) {
          throw new TRPCError({
            code: 'BAD_REQUEST',
            message: 'this daemon reads corporations from ESI: give only corporationId',
          });
        }
        const fetched = await askEsi(ctx, `corporation ${corporationId}`, () =>
          esi.fetchCorporation(corporationId),
        );
        if (!fetched)
          throw new TRPCError({ code: 'NOT_FOUND', message: `EVE knows no corporation ${corporationId}` });
        refreshedAt = new Date();
        facts = fetched;
        const allianceId = fetched.allianceId;
        if (allianceId !== null && !(await em.findOne(Alliance, { allianceId }, { fields: ['id'] }))) {
          const alliance = await askEsi(ctx, `alliance ${allianceId}`, () => esi.fetchAlliance(allianceId));
          if (alliance) {
            await recordAlliance(em, allianceId, alliance, { track: false, refreshedAt });
            audit(em, {
              actorId: ctx.actor.userId,
              action: 'alliance.record',
              subject: `alliance:${allianceId}`,
              after: alliance,
              requestId: ctx.requestId,
            });
          } else facts = { ...fetched, allianceId: null };
        }
      }
      const { corporation, before } = await trackCorporation(em, corporationId, facts, refreshedAt);
      const after = describeCorporation(corporation);
      audit(em, {
        actorId: ctx.actor.userId,
        action: 'corporation.track',
        subject: `corporation:${corporationId}`,
        before,
        after,
        requestId: ctx.requestId,
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
        audit(em, {
          actorId: ctx.actor.userId,
          action: 'corporation.update',
          subject: `corporation:${corporationId}`,
          before,
          after,
          requestId: ctx.requestId,
        });
        await em.flush();
      }
      if (loginChanged) await directoryChanged(ctx, em, 'corporation.update');
      return corporationDetails(em, corporation);
    }),
  guests: corporationGuestsRouter,
});
