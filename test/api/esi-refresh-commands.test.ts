/**
 * Operators refresh one corporation or alliance from ESI now, past the daemon's local ESI cache
 * (here an hour fresh), and `track` survives a ticker ESI changed since the directory read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryEsiOf } from '../../src/directory/index.ts';
import { Alliance, AuditEntry, Corporation } from '../../src/store/entities/index.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALLIANCE, ALPHA, BETA, clientFor, GAMMA, seedStandard } from '../esi/fixtures.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

let fake: FakeEsi;
let api: TestApi;
let token: string;
beforeAll(async () => {
  fake = await startFakeEsi({ expiresSeconds: 3600 });
  seedStandard(fake);
  api = await startTestApi({ directoryEsi: directoryEsiOf(clientFor(fake)) });
  token = (await api.user({ clearanceLevel: 9 })).token;
});
afterAll(async () => {
  await api?.stop();
  await fake?.close();
});

const trpc = () => api.client(token);
const corporation = (corporationId: number) => api.t.db.fork().findOneOrFail(Corporation, { corporationId });
const auditOf = (subject: string) =>
  api.t.db.fork().find(AuditEntry, { subject }, { orderBy: { id: 'asc' } });

describe('corporation refresh and alliance refresh', () => {
  it('corporation refresh reads ESI now, not the cached reply, and audits what changed', async () => {
    await trpc().corporation.track.mutate({ corporationId: GAMMA });
    fake.corporations.get(GAMMA)!.name = 'Gamma Renamed';
    fake.clearLog();
    const result = await trpc().corporation.refresh.mutate({ corporationId: GAMMA });
    expect(result).toMatchObject({ changed: 1, unread: 0, corporation: { name: 'Gamma Renamed' } });
    expect(fake.requests.map((r) => r.path)).toContain(`/corporations/${GAMMA}/`);
    expect((await corporation(GAMMA)).name).toBe('Gamma Renamed');
    const [entry] = (await auditOf(`corporation:${GAMMA}`)).filter((a) => a.action === 'corporation.refresh');
    expect(entry).toMatchObject({ before: { name: 'Gamma Corp' }, after: { name: 'Gamma Renamed' } });
    expect(api.jobs.syncRequests.length).toBeGreaterThan(0);
  });

  it('alliance refresh takes a corporation that left out of the alliance, though the list was cached', async () => {
    await trpc().alliance.track.mutate({ allianceId: ALLIANCE });
    await trpc().corporation.track.mutate({ corporationId: ALPHA });
    await trpc().corporation.track.mutate({ corporationId: BETA });
    expect((await corporation(BETA)).allianceId).toBe(ALLIANCE);
    fake.setCorporationAlliance(BETA, null);

    const result = await trpc().alliance.refresh.mutate({ allianceId: ALLIANCE });
    expect(result).toMatchObject({ corporationsLeft: 1, unread: 0 });
    expect((await corporation(BETA)).allianceId ?? null).toBeNull();
    expect((await corporation(ALPHA)).allianceId).toBe(ALLIANCE);
  });

  it('answers NOT_FOUND for a record the directory does not have', async () => {
    await expect(trpc().alliance.refresh.mutate({ allianceId: 99_999_999 })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });
});

describe('track after a ticker changed on ESI', () => {
  it('moves the stale ticker of the alliance that gave it up instead of refusing with a conflict', async () => {
    const OLD = 99_050_001;
    const NEW = 99_050_002;
    fake.seed({ alliances: [{ id: OLD, name: 'Old Holder', ticker: 'HOLD', executorCorporationId: null }] });
    await trpc().alliance.track.mutate({ allianceId: OLD });
    // On ESI the old holder takes another ticker and a new alliance takes HOLD; both replies are
    // still in the daemon's cache for an hour.
    fake.alliances.get(OLD)!.ticker = 'GONE';
    fake.seed({ alliances: [{ id: NEW, name: 'New Holder', ticker: 'HOLD', executorCorporationId: null }] });

    await expect(trpc().alliance.track.mutate({ allianceId: NEW })).resolves.toMatchObject({
      ticker: 'HOLD',
    });
    const stored = await api.t.db.fork().find(Alliance, { allianceId: { $in: [OLD, NEW] } });
    expect(Object.fromEntries(stored.map((a) => [a.allianceId, a.ticker]))).toEqual({
      [OLD]: 'GONE',
      [NEW]: 'HOLD',
    });
    const [moved] = (await auditOf(`alliance:${OLD}`)).filter((a) => a.action === 'alliance.ticker');
    expect(moved).toMatchObject({ before: { ticker: 'HOLD' }, after: { ticker: 'GONE' } });
  });

  it('moves the stale ticker of the corporation that gave it up, audited in the same change', async () => {
    const OLD = 98_050_001;
    const NEW = 98_050_002;
    fake.seed({ corporations: [{ id: OLD, name: 'Old Corp', ticker: 'OLDC', ceoId: 2_112_050_001 }] });
    await trpc().corporation.track.mutate({ corporationId: OLD });
    fake.corporations.get(OLD)!.ticker = 'MOVD';
    fake.seed({ corporations: [{ id: NEW, name: 'New Corp', ticker: 'OLDC', ceoId: 2_112_050_002 }] });

    await expect(trpc().corporation.track.mutate({ corporationId: NEW })).resolves.toMatchObject({
      ticker: 'OLDC',
    });
    expect((await corporation(OLD)).ticker).toBe('MOVD');
    const [moved] = (await auditOf(`corporation:${OLD}`)).filter((a) => a.action === 'corporation.ticker');
    expect(moved).toMatchObject({ before: { ticker: 'OLDC' }, after: { ticker: 'MOVD' } });
  });

  it('still refuses a ticker another alliance really holds', async () => {
    const HOLDER = 99_050_011;
    const TAKER = 99_050_012;
    fake.seed({ alliances: [{ id: HOLDER, name: 'Holder', ticker: 'SAME', executorCorporationId: null }] });
    await trpc().alliance.track.mutate({ allianceId: HOLDER });
    fake.seed({ alliances: [{ id: TAKER, name: 'Taker', ticker: 'SAME', executorCorporationId: null }] });
    await expect(trpc().alliance.track.mutate({ allianceId: TAKER })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
  });
});
