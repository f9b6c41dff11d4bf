import type { IncomingHttpHeaders } from 'node:http';

/** A parsed request as route handlers see it (path relative to `/api/v10`). */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** JSON body (parsed) or, for form posts, the URLSearchParams. */
  readonly body: unknown;
  /** Who is calling: the bot, an OAuth2 bearer token, or nobody. */
  readonly auth: { readonly kind: 'bot' } | { readonly kind: 'bearer'; readonly token: string } | null;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: FakeRequest) => Reply;

export interface Route {
  readonly method: string;
  /** e.g. `/guilds/:guild/members/:user`; the first `:guild` is the major parameter. */
  readonly pattern: string;
  /** `memberEdit` routes share one bucket per guild; other routes get their own. */
  readonly bucket: 'memberEdit' | 'route';
  /** `bot`: Bot token required; `any`: Bot or Bearer; `none`: no Authorization checked. */
  readonly auth: 'bot' | 'any' | 'none';
  readonly handler: Handler;
}

export const ok = (body?: unknown, status = 200): Reply => ({ status, body });
export const noContent = (): Reply => ({ status: 204 });

/** Discord's JSON error: `{ message, code }` (+ `errors` for 50035). */
export function apiError(status: number, code: number, message: string, errors?: unknown): Reply {
  return { status, body: errors === undefined ? { message, code } : { message, code, errors } };
}

export const DiscordError = {
  unauthorized: () => apiError(401, 40001, '401: Unauthorized'),
  missingPermissions: () => apiError(403, 50013, 'Missing Permissions'),
  unknownGuild: () => apiError(404, 10004, 'Unknown Guild'),
  unknownMember: () => apiError(404, 10007, 'Unknown Member'),
  unknownRole: () => apiError(404, 10011, 'Unknown Role'),
  invalidOAuthToken: () => apiError(403, 50025, 'Invalid OAuth2 access token'),
  invalidFormBody: (field: string, message: string) =>
    apiError(400, 50035, 'Invalid Form Body', {
      [field]: { _errors: [{ code: 'BASE_TYPE_INVALID', message }] },
    }),
} as const;

/** Matches `path` against `pattern`; returns the named segments or null. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = actual;
    else if (part !== actual) return null;
  }
  return params;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
