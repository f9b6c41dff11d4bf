import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readiness, type ProbeSources } from '../../src/api/observability.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import type { TeamspeakTarget } from '../../src/sync/teamspeak/index.ts';
import { setupDemo, type Demo } from '../../scripts/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { client, sample } from './helpers.ts';

describe('health, readiness and metrics on the control plane (the demo daemon, over HTTP)', () => {
  let t: TestDatabase;
  let demo: Demo;
  const get = (path: string, init?: RequestInit) => fetch(`${demo.url}${path}`, init);
  const metrics = async () => (await get('/metrics')).text();
  const ts = { platform: 'teamspeak', target: 'main' };
  const dc = { platform: 'discord', target: 'guild' };

  beforeAll(async () => {
    t = await createTestDatabase();
    demo = await setupDemo({ dataDir: ':memory:', databaseUrl: t.url });
  });
  afterAll(async () => {
    await demo?.stop();
    await t?.dispose();
  });

  it('/healthz answers 200 without a token', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('/readyz answers 200 when the database, the job queue and both targets are up', async () => {
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      notReady: [],
      checks: {
        database: { ok: true },
        jobs: { ok: true },
        'teamspeak/main': { ok: true },
        'discord/guild': { ok: true },
      },
    });
  });

  it('/metrics reports the first reconcile: runs, changes applied, calls, last success', async () => {
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const [labels, run] of [
      [ts, demo.runs.find((r) => r.platform === 'teamspeak')!],
      [dc, demo.runs.find((r) => r.platform === 'discord')!],
    ] as const) {
      expect(sample(text, 'roster_sync_runs_total', { ...labels, status: 'applied' })).toBe(1);
      expect(sample(text, 'roster_sync_runs_total', { ...labels, status: 'refused' })).toBe(0);
      expect(sample(text, 'roster_sync_changes_applied_total', { ...labels, change: 'add' })).toBe(
        run.report!.added,
      );
      expect(sample(text, 'roster_sync_changes_applied_total', { ...labels, change: 'create' })).toBe(
        run.plan!.counts.creates,
      );
      expect(sample(text, 'roster_sync_platform_calls_total', labels)).toBe(run.callsIssued);
      expect(sample(text, 'roster_sync_drift', labels)).toBe(0);
      expect(sample(text, 'roster_sync_last_success_timestamp_seconds', labels)).toBeGreaterThan(
        Date.now() / 1000 - 600,
      );
      expect(sample(text, 'roster_platform_connected', labels)).toBe(1);
    }
    expect(demo.runs.find((r) => r.platform === 'teamspeak')!.plan!.counts.creates).toBeGreaterThan(0);
    expect(sample(text, 'roster_rate_limit_waits_total', dc)).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'roster_rate_limited_total', ts)).toBe(0);
    expect(sample(text, 'roster_job_queue_depth', { queue: 'sync', state: 'queued' })).toBeGreaterThanOrEqual(
      0,
    );
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // The daemon's ESI client has not had an answer yet: the budget is unknown, not a made-up value.
    expect(sample(text, 'roster_esi_error_limit_remaining')).toBeNaN();
  });

  it('counts control-plane requests by procedure and status code, unknown paths as "unknown"', async () => {
    await client(demo.url, demo.token).sync.status.query();
    await expect(client(demo.url).sync.status.query()).rejects.toThrow(/token/);
    await get('/trpc/no.such.procedure');
    const text = await metrics();
    expect(
      sample(text, 'roster_control_plane_requests_total', { procedure: 'sync.status', code: '200' }),
    ).toBe(1);
    expect(
      sample(text, 'roster_control_plane_requests_total', { procedure: 'sync.status', code: '401' }),
    ).toBe(1);
    expect(sample(text, 'roster_control_plane_requests_total', { procedure: 'unknown', code: '404' })).toBe(
      1,
    );
    expect(
      sample(text, 'roster_control_plane_request_duration_seconds_count', { procedure: 'sync.status' }),
    ).toBe(2);
  });

  it('shows drift from a dry run, and the hand edit put back by the next run', async () => {
    const logistics = demo.teamspeak.serverGroups().find((g) => g.name === 'Logistics')!;
    const [removed] = logistics.members;
    demo.teamspeak.server().group(logistics.sgid).members.delete(removed!);
    const api = client(demo.url, demo.token);
    const dry = await api.sync.plan.query(ts as { platform: 'teamspeak'; target: string });
    expect(dry.status).toBe('planned');
    let text = await metrics();
    expect(sample(text, 'roster_sync_runs_total', { ...ts, status: 'planned' })).toBe(1);
    expect(sample(text, 'roster_sync_drift', ts)).toBe(1);
    expect(sample(text, 'roster_sync_hand_edits_reverted_total', { ...ts, direction: 'removed' })).toBe(0);

    const run = await api.sync.run.mutate(ts as { platform: 'teamspeak'; target: string });
    expect(run.status).toBe('applied');
    expect(demo.teamspeak.groupMembers(logistics.sgid)).toContain(removed);
    text = await metrics();
    expect(sample(text, 'roster_sync_drift', ts)).toBe(0);
    expect(sample(text, 'roster_sync_hand_edits_reverted_total', { ...ts, direction: 'removed' })).toBe(1);
    expect(sample(text, 'roster_sync_runs_total', { ...ts, status: 'applied' })).toBe(2);
  });

  it('answers 405 to anything but GET and HEAD on the probe paths', async () => {
    const res = await get('/metrics', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('/readyz answers 503 and names the TeamSpeak target once its server is gone', async () => {
    const target = demo.roster.targets.find((t) => t.platform === 'teamspeak') as TeamspeakTarget;
    const disconnected = once(target.events, 'teamspeak:disconnected');
    await demo.teamspeak.close();
    await disconnected;
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; notReady: string[] };
    expect(body.status).toBe('not ready');
    expect(body.notReady).toEqual([expect.stringMatching(/^teamspeak\/main: not connected/)]);
    expect(sample(await metrics(), 'roster_platform_connected', ts)).toBe(0);
  });
});

describe('readiness checks', () => {
  const sources = (over: Partial<ProbeSources> = {}): ProbeSources => ({
    db: { orm: { checkConnection: async () => ({ ok: true }) } } as unknown as ProbeSources['db'],
    jobs: { ready: async () => true },
    targets: [],
    version: 'test',
    startedAt: new Date(),
    metrics: { render: async () => '', contentType: 'text/plain' },
    ...over,
  });

  it('names a database that refuses, and a job queue that is not running', async () => {
    const result = await readiness(
      sources({
        db: {
          orm: { checkConnection: async () => ({ ok: false, reason: 'connection refused' }) },
        } as unknown as ProbeSources['db'],
        jobs: { ready: async () => false },
      }),
    );
    expect(result.ready).toBe(false);
    expect(result.notReady).toEqual([
      'database: connection refused',
      'jobs: the job queue is not running (starting or stopping)',
    ]);
  });

  it('counts a database that does not answer in time as not ready instead of hanging', async () => {
    const result = await readiness(
      sources({
        db: { orm: { checkConnection: () => new Promise(() => undefined) } } as unknown as ProbeSources['db'],
        checkTimeoutMs: 50,
      }),
    );
    expect(result.notReady).toEqual(['database: the database did not answer within 50 ms']);
  });
});

describe('metrics registry', () => {
  const sources = () => ({
    reconciler: new EventEmitter() as never,
    targets: [],
    jobs: { list: async () => [] },
    version: 'test',
    procedures: new Set(['sync.run']),
    processMetrics: false,
  });

  it('belongs to one daemon: two in one process neither clash nor share counts', async () => {
    const a = createMetrics(sources());
    const b = createMetrics(sources());
    a.observeRequest({ path: 'sync.run', code: '200', ms: 3 });
    expect(sample(await a.render(), 'roster_control_plane_requests_total', { procedure: 'sync.run' })).toBe(
      1,
    );
    expect(
      sample(await b.render(), 'roster_control_plane_requests_total', { procedure: 'sync.run' }),
    ).toBeUndefined();
  });

  it('exposes the ESI error-limit budget when an ESI client exists, NaN before its first answer', async () => {
    let remain: number | null = null;
    const m = createMetrics({ ...sources(), esi: { errorLimitRemain: () => remain } });
    expect(sample(await m.render(), 'roster_esi_error_limit_remaining')).toBeNaN();
    remain = 87;
    expect(sample(await m.render(), 'roster_esi_error_limit_remaining')).toBe(87);
  });

  it('counts each procedure of a batched request', async () => {
    const m = createMetrics(sources());
    m.observeRequest({ path: 'sync.run,sync.run,evil"label', code: '207', ms: 1 });
    const text = await m.render();
    expect(sample(text, 'roster_control_plane_requests_total', { procedure: 'sync.run', code: '207' })).toBe(
      2,
    );
    expect(sample(text, 'roster_control_plane_requests_total', { procedure: 'unknown', code: '207' })).toBe(
      1,
    );
  });
});
