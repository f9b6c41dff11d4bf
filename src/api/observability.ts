import type { ServerResponse } from 'node:http';
import type { Database } from '../store/orm.ts';
import type { PlatformTarget } from '../sync/target.ts';
import type { JobControl } from '../services/job-control.ts';
import type { HttpRoute } from './http.ts';
import { appRouter } from './router.ts';

/** Every tRPC procedure path (`group.list`, ...): the metrics' bounded set of procedure labels. */
export const procedureNames: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

export interface ProbeSources {
  readonly db: Pick<Database, 'orm'>;
  readonly jobs: Pick<JobControl, 'ready'>;
  /** The configured (enabled) platform targets; each must be connected to be ready. */
  readonly targets: readonly PlatformTarget[];
  readonly version: string;
  readonly startedAt: Date;
  /** Renders `/metrics`. */
  readonly metrics: { render(): Promise<string>; readonly contentType: string };
  /** How long a readiness check may take before it counts as not ready. */
  readonly checkTimeoutMs?: number;
}

export interface Check {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** What is not ready, e.g. `database: connection refused`, `teamspeak/main: not connected`. */
  readonly notReady: string[];
  readonly checks: Record<string, Check>;
}

const within = <T>(ms: number, work: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

/**
 * Readiness: the database answers, the job queue runs, every enabled platform target is connected
 * and has the permissions it needs (its last check; TeamSpeak checks on connect and every few minutes).
 */
export async function readiness(sources: ProbeSources): Promise<Readiness> {
  const timeout = sources.checkTimeoutMs ?? 3000;
  const checks: Record<string, Check> = {};
  const database = async (): Promise<Check> => {
    try {
      const result = await within(timeout, sources.db.orm.checkConnection(), 'the database');
      return result.ok ? { ok: true } : { ok: false, detail: result.reason || 'no connection' };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  };
  const jobs = async (): Promise<Check> => {
    try {
      return (await within(timeout, sources.jobs.ready(), 'the job queue'))
        ? { ok: true }
        : { ok: false, detail: 'the job queue is not running (starting or stopping)' };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  };
  [checks.database, checks.jobs] = await Promise.all([database(), jobs()]);
  for (const t of sources.targets) {
    const status = t.status();
    checks[`${t.platform}/${t.name}`] = !status.connected
      ? { ok: false, detail: status.lastError ? `not connected: ${status.lastError}` : 'not connected' }
      : status.missingPermissions.length
        ? // Connected but unable to do its job: named, as the README's setup table lists them.
          { ok: false, detail: `missing permissions: ${status.missingPermissions.join(', ')}` }
        : { ok: true };
  }
  const notReady = Object.entries(checks).flatMap(([name, c]) =>
    c.ok ? [] : [`${name}: ${c.detail ?? 'not ready'}`],
  );
  return { ready: notReady.length === 0, notReady, checks };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

/**
 * `/healthz` (liveness: the process answers), `/readyz` (200, or 503 naming what is not ready)
 * and `/metrics` (Prometheus). No authentication: they show no directory data; keep the control
 * plane on a private address (the default is 127.0.0.1).
 */
export function observabilityRoutes(sources: ProbeSources): HttpRoute[] {
  const only =
    (path: string, handle: (res: ServerResponse) => Promise<void> | void): HttpRoute =>
    async (req, res, url) => {
      if (url.pathname !== path) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return true;
      }
      await handle(res);
      return true;
    };
  return [
    only('/healthz', (res) =>
      json(res, 200, {
        status: 'ok',
        version: sources.version,
        uptimeSeconds: Math.round((Date.now() - sources.startedAt.getTime()) / 1000),
      }),
    ),
    only('/readyz', async (res) => {
      const result = await readiness(sources);
      json(res, result.ready ? 200 : 503, { status: result.ready ? 'ready' : 'not ready', ...result });
    }),
    only('/metrics', async (res) => {
      const body = await sources.metrics.render();
      res
        .writeHead(200, { 'content-type': sources.metrics.contentType, 'cache-control': 'no-store' })
        .end(body);
    }),
  ];
}
