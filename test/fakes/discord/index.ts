import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DirectMessages } from './dm-routes.ts';
import { Faults } from './faults.ts';
import { FakeGuild, type GuildSeed } from './guild.ts';
import { guildRoutes, type HierarchyMode } from './guild-routes.ts';
import { apiError, matchRoute, type FakeRequest, type Reply, type Route } from './http.ts';
import { OAuthStore, type OAuthOptions } from './oauth.ts';
import { RateLimiter, type LimitVerdict, type RateLimitOptions } from './rate-limits.ts';

export { FakeGuild } from './guild.ts';
export type { DirectMessage } from './dm-routes.ts';
export { snowflake, Permission, type MemberJson, type RoleJson, type UserJson } from './model.ts';
export { defaultRateLimits, type RateLimitOptions, type RateWindow } from './rate-limits.ts';
export type { HierarchyMode } from './guild-routes.ts';
export type { DropMode } from './faults.ts';

export interface FakeDiscordOptions {
  readonly botToken?: string;
  readonly guild?: GuildSeed;
  readonly rateLimits?: RateLimitOptions;
  readonly hierarchy?: HierarchyMode;
  readonly oauth?: OAuthOptions;
}

export interface RecordedRequest {
  readonly at: number;
  readonly method: string;
  /** Path below `/api/v10`, e.g. `/guilds/123/members/456`. */
  readonly path: string;
  /** `METHOD /pattern`, e.g. `PATCH /guilds/:guild/members/:user`; null when no route matched. */
  readonly route: string | null;
  readonly query: string;
  /** Lower-cased header names, as Node reports them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** 0 when the connection was dropped. */
  status: number;
}

export interface FakeDiscordStats {
  readonly requests: number;
  readonly rateLimited: number;
  readonly globalRateLimited: number;
  readonly stormRateLimited: number;
  readonly serverErrors: number;
  readonly dropped: number;
}

export interface FakeDiscord {
  /** The value for the adapter's `apiBaseUrl` (`http://127.0.0.1:<port>/api`). */
  readonly url: string;
  readonly botToken: string;
  readonly guild: FakeGuild;
  readonly oauth: OAuthStore;
  readonly faults: Faults;
  /** DMs the bot sent (notices), and who refuses them. */
  readonly dms: DirectMessages;
  hierarchy: HierarchyMode;
  readonly requests: RecordedRequest[];
  /** Requests whose route is `METHOD /pattern` (e.g. `PATCH /guilds/:guild/members/:user`). */
  count(route: string): number;
  stats(): FakeDiscordStats;
  /** Forgets recorded requests and counters (not the guild or rate-limit state). */
  clearRecords(): void;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const botToken = options.botToken ?? 'fake-bot-token';
  const guild = new FakeGuild(options.guild);
  const oauth = new OAuthStore(options.oauth);
  const limiter = new RateLimiter(options.rateLimits);
  const faults = new Faults();
  const requests: RecordedRequest[] = [];
  const counters = { rateLimited: 0, globalRateLimited: 0, stormRateLimited: 0, serverErrors: 0, dropped: 0 };
  const fake = {
    hierarchy: options.hierarchy ?? 'discord',
  } as { hierarchy: HierarchyMode };
  const dms = new DirectMessages(guild);
  const routes: Route[] = [
    ...guildRoutes(guild, oauth, () => fake.hierarchy),
    ...oauth.routes(guild),
    ...dms.routes(),
  ];

  const rateLimited = (verdict: LimitVerdict): Reply => {
    counters.rateLimited++;
    if (verdict.global) counters.globalRateLimited++;
    const retryAfter = (verdict.retryAfterMs ?? 0) / 1000;
    return {
      status: 429,
      headers: verdict.headers,
      body: {
        message: 'You are being rate limited.',
        retry_after: retryAfter,
        global: verdict.global ?? false,
      },
    };
  };

  const answer = (req: FakeRequest, route: Route | undefined): Reply => {
    const status = faults.takeError();
    if (status !== undefined) {
      counters.serverErrors++;
      return apiError(status, 0, `${status}: Internal Server Error`);
    }
    const storm = faults.takeStorm();
    if (storm) {
      counters.stormRateLimited++;
      const seconds = (storm.retryAfterMs / 1000).toFixed(3);
      const scope: Record<string, string> = storm.global
        ? { 'X-RateLimit-Global': 'true', 'X-RateLimit-Scope': 'global' }
        : { 'X-RateLimit-Scope': 'shared' };
      const headers = { ...scope, 'Retry-After': seconds };
      return rateLimited({ ok: false, global: storm.global, retryAfterMs: storm.retryAfterMs, headers });
    }
    if (!route) return apiError(404, 0, '404: Not Found');
    if (route.auth === 'bot' && req.auth?.kind !== 'bot') return apiError(401, 40001, '401: Unauthorized');
    if (route.auth === 'any' && !req.auth) return apiError(401, 40001, '401: Unauthorized');
    const now = Date.now();
    const global = limiter.global(now);
    if (!global.ok) return rateLimited(global);
    const bucketName = route.bucket === 'memberEdit' ? 'member-edit' : `${route.method} ${route.pattern}`;
    const bucket = limiter.bucket(route.bucket, bucketName, req.params.guild ?? 'global', now);
    if (!bucket.ok) return rateLimited(bucket);
    const reply = route.handler(req);
    return { ...reply, headers: { ...bucket.headers, ...reply.headers } };
  };

  const handle = async (incoming: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const method = incoming.method ?? 'GET';
    const path = url.pathname
      .replace(/^\/api(\/v\d+)?/, '')
      .split('/')
      .map(decodeURIComponent)
      .join('/');
    const contentType = String(incoming.headers['content-type'] ?? '');
    let body: unknown = null;
    try {
      if (contentType.startsWith('application/x-www-form-urlencoded')) body = new URLSearchParams(raw);
      else if (raw) body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    let route: Route | undefined;
    let params: Record<string, string> = {};
    for (const candidate of routes) {
      const match = candidate.method === method ? matchRoute(candidate.pattern, path) : null;
      if (match) [route, params] = [candidate, match];
      if (match) break;
    }
    const headers = Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k, String(v)]));
    const record: RecordedRequest = {
      at: Date.now(),
      method,
      path,
      route: route ? `${route.method} ${route.pattern}` : null,
      query: url.search,
      headers,
      body: body instanceof URLSearchParams ? Object.fromEntries(body) : body,
      status: 0,
    };
    requests.push(record);
    const drop = faults.takeDrop();
    if (drop) counters.dropped++;
    if (drop === 'reset' || drop === 'close') {
      if (drop === 'reset') incoming.socket.resetAndDestroy();
      else incoming.socket.destroy();
      return;
    }
    const authorization = headers.authorization ?? '';
    const auth =
      authorization === `Bot ${botToken}`
        ? ({ kind: 'bot' } as const)
        : authorization.startsWith('Bearer ')
          ? ({ kind: 'bearer', token: authorization.slice(7) } as const)
          : null;
    const reply =
      body === undefined
        ? apiError(400, 50109, 'The request body contains invalid JSON.')
        : answer(
            { method, path, params, query: url.searchParams, headers: incoming.headers, body, auth },
            route,
          );
    if (drop === 'after') {
      incoming.socket.resetAndDestroy();
      return;
    }
    record.status = reply.status;
    const json = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...reply.headers,
      ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
    });
    res.end(json);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: String(error), code: 0 }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/api`,
    botToken,
    guild,
    oauth,
    faults,
    dms,
    requests,
    count: (route: string) => requests.filter((r) => r.route === route).length,
    stats: (): FakeDiscordStats => ({ requests: requests.length, ...counters }),
    clearRecords: () => {
      requests.length = 0;
      for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
