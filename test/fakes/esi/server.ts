/**
 * A fake ESI on loopback (node:http) speaking the routes Roster uses, with ESI's HTTP habits:
 * `ETag` + 304 on `If-None-Match`, `Expires` (per route, as ESI caches each route for its own
 * time), `Last-Modified` and `Date` on the fake's clock, `X-Pages`, the error-limit headers decremented by
 * every 4xx/5xx and a 420 once the budget is spent. Faults (5xx, slow replies, malformed bodies)
 * are injected per request; every request is logged.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleRoute } from './routes.ts';
import { createUniverse } from './universe.ts';

export interface FakeEsiOptions {
  /** Errors allowed per window (ESI: 100). */
  errorLimit?: number;
  /** Window length in seconds (ESI: 60). Tests use 1. */
  errorWindowSeconds?: number;
  /** Seconds until `Expires` on 200 and 304 replies. 0 makes every reply stale at once. */
  expiresSeconds?: number;
  /** `Expires` of some routes (by route template, e.g. `/alliances/{alliance_id}/corporations/`). */
  expiresByRoute?: Readonly<Record<string, number>>;
  /** The fake's clock for `Date`, `Last-Modified` and `Expires` (epoch ms); default Date.now. */
  now?: () => number;
  /** Items per page on paginated routes. */
  pageSize?: number;
  /** Maps a bearer token to a character id (null: invalid). Default: tokens added with `addAccessToken`. */
  resolveAccessToken?: (token: string) => number | null | Promise<number | null>;
}

export interface FakeEsiRequest {
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly status: number;
  readonly ifNoneMatch: boolean;
  readonly userAgent: string | undefined;
  /** For the bulk POST routes (affiliation, universe names and ids): how many items the body held. */
  readonly idCount?: number;
}

export type FakeEsi = Awaited<ReturnType<typeof startFakeEsi>>;

function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: unknown,
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=UTF-8' }),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeEsi(options: FakeEsiOptions = {}) {
  const universe = createUniverse();
  const errorLimit = options.errorLimit ?? 100;
  const windowMs = (options.errorWindowSeconds ?? 60) * 1000;
  let expiresSeconds = options.expiresSeconds ?? 300;
  const now = options.now ?? Date.now;
  let pageSize = options.pageSize ?? 1000;
  let remain = errorLimit;
  let windowEndsAt = Date.now() + windowMs;
  const faults = { fail: [] as number[], delays: [] as number[], malformed: 0 };
  const tokens = new Map<string, number>();
  const requests: FakeEsiRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const resolveToken = options.resolveAccessToken ?? ((token: string) => tokens.get(token) ?? null);

  const limitHeaders = (): Record<string, string> => ({
    'x-esi-error-limit-remain': String(remain),
    'x-esi-error-limit-reset': String(Math.max(0, Math.ceil((windowEndsAt - Date.now()) / 1000))),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-esi');
    const path = url.pathname.replace(/^\/latest(?=\/)/, '');
    const body = await readBody(req);
    const log = (route: string, status: number, extra: Partial<FakeEsiRequest> = {}) =>
      requests.push({
        method: req.method ?? 'GET',
        path,
        route,
        status,
        ifNoneMatch: req.headers['if-none-match'] !== undefined,
        userAgent: req.headers['user-agent'],
        ...extra,
      });

    if (Date.now() >= windowEndsAt) {
      remain = errorLimit;
      windowEndsAt = Date.now() + windowMs;
    }
    if (remain <= 0) {
      log('(error-limited)', 420);
      return sendJson(res, 420, limitHeaders(), { error: 'Error limited' });
    }
    const delay = faults.delays.shift();
    if (delay !== undefined) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (timers.delete(t), resolve()), delay);
        timers.add(t);
      });
      if (res.destroyed) return;
    }
    const failStatus = faults.fail.shift();
    if (failStatus !== undefined) {
      remain -= 1;
      log('(injected)', failStatus);
      return sendJson(res, failStatus, limitHeaders(), { error: 'Injected failure' });
    }

    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const reply = handleRoute(
      universe,
      {
        method: req.method ?? 'GET',
        path,
        body,
        page: Number(url.searchParams.get('page') ?? '1'),
        tokenCharacterId: token === undefined ? undefined : await resolveToken(token),
      },
      pageSize,
    );
    const idCount = req.method === 'POST' ? safeLength(body) : undefined;
    if (reply.status >= 400) {
      remain -= 1;
      log(reply.route, reply.status, { idCount });
      return sendJson(res, reply.status, limitHeaders(), reply.body);
    }

    let replyBody = reply.body;
    if (faults.malformed > 0) {
      faults.malformed -= 1;
      replyBody = { malformed: true };
    }
    const etag = `"${createHash('sha1').update(JSON.stringify(replyBody)).digest('hex')}"`;
    const at = now();
    const lifetime = options.expiresByRoute?.[reply.route] ?? expiresSeconds;
    const headers: Record<string, string> = {
      ...limitHeaders(),
      etag,
      date: new Date(at).toUTCString(),
      expires: new Date(at + lifetime * 1000).toUTCString(),
      // ESI dates the data it serves; the fake serves data as of now.
      'last-modified': new Date(at).toUTCString(),
      ...(reply.pages === undefined ? {} : { 'x-pages': String(reply.pages) }),
    };
    if (req.method === 'GET' && req.headers['if-none-match'] === etag) {
      log(reply.route, 304);
      return sendJson(res, 304, headers);
    }
    log(reply.route, reply.status, { idCount });
    sendJson(res, reply.status, headers, replyBody);
  }

  const server = createServer((req, res) => {
    res.on('error', () => {});
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, {}, { error: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    /** Base URL to give the client, `http://127.0.0.1:<port>/latest`. */
    url: `http://127.0.0.1:${port}/latest`,
    universe,
    ...universe,
    requests,
    /** Requests answered, by route template and status. */
    counts() {
      const byRoute: Record<string, number> = {};
      for (const r of requests) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
      return {
        total: requests.length,
        notModified: requests.filter((r) => r.status === 304).length,
        errors: requests.filter((r) => r.status >= 400).length,
        errorLimited: requests.filter((r) => r.status === 420).length,
        byRoute,
      };
    },
    clearLog: () => void requests.splice(0),
    /** The next `count` requests answer `status` (default 503) with an error body. */
    failNext: (count: number, status = 503) => void faults.fail.push(...Array<number>(count).fill(status)),
    /** The next `count` requests wait `ms` before being handled. */
    delayNext: (count: number, ms: number) => void faults.delays.push(...Array<number>(count).fill(ms)),
    /** The next `count` successful replies carry `{ "malformed": true }` instead of their body. */
    malformNext: (count: number) => void (faults.malformed += count),
    /** Drops every fault still queued. */
    clearFaults() {
      faults.fail.length = 0;
      faults.delays.length = 0;
      faults.malformed = 0;
    },
    setExpiresSeconds: (seconds: number) => void (expiresSeconds = seconds),
    setPageSize: (size: number) => void (pageSize = size),
    addAccessToken: (token: string, characterId: number) => void tokens.set(token, characterId),
    errorLimitState: () => ({ remain, resetInMs: Math.max(0, windowEndsAt - Date.now()) }),
    resetErrorLimit() {
      remain = errorLimit;
      windowEndsAt = Date.now() + windowMs;
    },
    async close(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeLength(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return Array.isArray(parsed) ? parsed.length : undefined;
  } catch {
    return undefined;
  }
}
