import { z } from 'zod';
import { Alliance } from '../../store/entities/index.ts';
import {
  allianceDetails,
  describeAlliance,
  getAlliance,
  recordAlliance,
  updateAlliance,
  type AllianceEsiFacts,
} from '../../services/alliances.ts';
import { pageInput, toPage } from '../../services/pagination.ts';
import { auditChange, directoryChanged, trackedFacts } from '../effects.ts';
import { esiScopes, eveId, loginFlag, name, ticker } from '../inputs.ts';
import { allianceGuestsRouter } from './guests.ts';
import { router, scoped } from '../trpc.ts';

export const allianceRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ tracked: z.boolean().optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.deps.db.fork().find(
        Alliance,
        {
          ...(input.tracked !== undefined ? { tracked: input.tracked } : {}),
          ...(input.cursor ? { id: { $gt: input.cursor } } : {}),
        },
        { orderBy: { id: 'asc' }, limit: input.limit + 1 },
      );
      const page = toPage(rows, input.limit);
      return { items: page.items.map(describeAlliance), nextCursor: page.nextCursor };
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
      const { facts, refreshedAt } = await trackedFacts<AllianceEsiFacts>(
        ctx,
        'alliance',
        allianceId,
        given,
        (esi) => esi.fetchAlliance(allianceId),
      );
      const { alliance, before } = await recordAlliance(em, allianceId, facts, { track: true, refreshedAt });
      auditChange(ctx, em, {
        action: 'alliance.track',
        subject: `alliance:${allianceId}`,
        before,
        after: describeAlliance(alliance),
      });
      await em.flush();
      await directoryChanged(ctx, em, 'alliance.track');
      return allianceDetails(em, alliance);
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
      const { alliance, before, after, loginChanged } = await updateAlliance(em, allianceId, changes);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        auditChange(ctx, em, {
          action: 'alliance.update',
          subject: `alliance:${allianceId}`,
          before,
          after,
        });
        await em.flush();
      }
      if (loginChanged) await directoryChanged(ctx, em, 'alliance.update');
      return allianceDetails(em, alliance);
    }),
  guests: allianceGuestsRouter,
});
