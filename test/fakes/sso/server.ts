/**
 * A fake EVE SSO v2 on loopback: `/v2/oauth/authorize` (redirects to the callback with a code
 * and the state), `/v2/oauth/token` (authorization_code and refresh_token grants, HTTP Basic
 * client auth, OAuth error bodies), `/oauth/jwks` (the public half of a real RS256 key pair).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigningKeys, forgeryOptions, type AccessTokenClaims, type Forgery } from './tokens.ts';

export interface FakeSsoOptions {
  clientId?: string;
  clientSecret?: string;
  /** When set, `/authorize` refuses any other `redirect_uri`. */
  callbackUrl?: string;
  /** `iss` of issued tokens. Default `https://login.eveonline.com`, as EVE. */
  issuer?: string;
  accessTokenSeconds?: number;
  /** Issue a new refresh token on each refresh (the old one stays valid, as EVE does today). */
  rotateRefreshTokens?: boolean;
}

export interface FakeSsoCharacter {
  id: number;
  name: string;
  ownerHash?: string;
}

interface Grant {
  characterId: number;
  scopes: string[];
}

export interface FakeSsoRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly grantType?: string;
}

export type FakeSso = Awaited<ReturnType<typeof startFakeSso>>;

const token = () => randomBytes(24).toString('base64url');

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** EVE's login page, reduced: pick a character, untick scopes, authorize (a GET back to /authorize). */
function consentPage(url: URL, characters: readonly FakeSsoCharacter[]): string {
  const keep = [...url.searchParams].filter(([k]) => !['character_id', 'granted', 'consented'].includes(k));
  const hidden = keep
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const scopes = (url.searchParams.get('scope') ?? '').split(' ').filter(Boolean);
  const pick = characters
    .map(
      (c, i) =>
        `<label><input type="radio" name="character_id" value="${c.id}"${i === 0 ? ' checked' : ''}> ${escapeHtml(c.name)}</label><br>`,
    )
    .join('');
  const asked = scopes.length
    ? scopes
        .map(
          (s) =>
            `<label><input type="checkbox" name="granted" value="${escapeHtml(s)}" checked> ${escapeHtml(s)}</label><br>`,
        )
        .join('')
    : '<p>No ESI scope is asked: the application only learns who you are.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EVE Online login (fake)</title></head>
<body><h1>EVE Online login (fake SSO)</h1>
<form method="get" action="/v2/oauth/authorize">${hidden}<input type="hidden" name="consented" value="1">
<fieldset><legend>Log in as</legend>${pick}</fieldset>
<fieldset><legend>Scopes asked</legend>${asked}</fieldset>
<button type="submit">Authorize</button></form></body></html>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeSso(options: FakeSsoOptions = {}) {
  const clientId = options.clientId ?? 'roster-test-client';
  const clientSecret = options.clientSecret ?? 'roster-test-secret';
  const issuer = options.issuer ?? 'https://login.eveonline.com';
  const keys = await createSigningKeys();
  const characters = new Map<number, FakeSsoCharacter>();
  const codes = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant & { revoked: boolean }>();
  const faults = { fail: [] as number[], delays: [] as number[] };
  const timers = new Set<NodeJS.Timeout>();
  const requests: FakeSsoRequest[] = [];
  let nextLogin: Grant | undefined;

  const character = (id: number): FakeSsoCharacter => characters.get(id) ?? { id, name: `Pilot ${id}` };
  const claimsFor = (grant: Grant): AccessTokenClaims => {
    const c = character(grant.characterId);
    return {
      characterId: c.id,
      characterName: c.name,
      ownerHash: c.ownerHash,
      scopes: grant.scopes,
      clientId,
      issuer,
      expiresInSeconds: options.accessTokenSeconds ?? 1199,
    };
  };
  const mintCode = (characterId: number, scopes: readonly string[] = []): string => {
    const code = token();
    codes.set(code, { characterId, scopes: [...scopes] });
    return code;
  };

  async function tokenGrant(req: IncomingMessage): Promise<[number, unknown, string | undefined]> {
    const params = new URLSearchParams(await readBody(req));
    const grantType = params.get('grant_type') ?? undefined;
    const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return [401, { error: 'invalid_client', error_description: 'Client authentication failed' }, grantType];
    }
    let grant: Grant | undefined;
    let refresh: string | undefined;
    if (grantType === 'authorization_code') {
      const code = params.get('code') ?? '';
      grant = codes.get(code);
      codes.delete(code); // single use
      if (!grant)
        return [400, { error: 'invalid_grant', error_description: 'Grant is invalid or expired' }, grantType];
      // EVE issues a refresh token only when a valid scope was asked; a bare login gets none.
      if (grant.scopes.length === 0) {
        const access = await keys.sign(claimsFor(grant));
        return [
          200,
          { access_token: access, expires_in: options.accessTokenSeconds ?? 1199, token_type: 'Bearer' },
          grantType,
        ];
      }
      refresh = token();
    } else if (grantType === 'refresh_token') {
      const old = params.get('refresh_token') ?? '';
      const stored = refreshTokens.get(old);
      if (stored && !stored.revoked) {
        grant = stored;
        refresh = options.rotateRefreshTokens ? token() : old;
      }
    } else {
      return [
        400,
        { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' },
        grantType,
      ];
    }
    if (!grant || !refresh) {
      return [400, { error: 'invalid_grant', error_description: 'Grant is invalid or expired' }, grantType];
    }
    refreshTokens.set(refresh, { characterId: grant.characterId, scopes: grant.scopes, revoked: false });
    const access = await keys.sign(claimsFor(grant));
    const body = {
      access_token: access,
      expires_in: options.accessTokenSeconds ?? 1199,
      token_type: 'Bearer',
      refresh_token: refresh,
    };
    return [200, body, grantType];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-sso');
    const path = url.pathname.replace(/\/+$/, '');
    const log = (status: number, grantType?: string) =>
      requests.push({ method: req.method ?? 'GET', path, status, ...(grantType ? { grantType } : {}) });
    const delay = faults.delays.shift();
    if (delay !== undefined) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (timers.delete(t), resolve()), delay);
        timers.add(t);
      });
    }
    const failStatus = faults.fail.shift();
    if (failStatus !== undefined) {
      log(failStatus);
      return send(res, failStatus, { error: 'server_error', error_description: 'Injected failure' });
    }
    if (req.method === 'GET' && path === '/oauth/jwks') {
      log(200);
      return send(res, 200, keys.jwks);
    }
    if (req.method === 'POST' && path === '/v2/oauth/token') {
      const [status, body, grantType] = await tokenGrant(req);
      log(status, grantType);
      return send(res, status, body);
    }
    if (req.method === 'GET' && path === '/v2/oauth/authorize') {
      const q = url.searchParams;
      const redirect = q.get('redirect_uri') ?? '';
      const bad =
        q.get('response_type') !== 'code'
          ? 'response_type must be code'
          : q.get('client_id') !== clientId
            ? 'unknown client_id'
            : !redirect || (options.callbackUrl !== undefined && redirect !== options.callbackUrl)
              ? 'redirect_uri mismatch'
              : undefined;
      // Test extension: `character_id` picks who logs in; else the one set with `loginAs`; else,
      // as EVE does, a page where the person picks a character and sees the scopes asked.
      const asked = q.get('character_id');
      const who = asked ? { characterId: Number(asked), scopes: [] } : nextLogin;
      if (!bad && !who && characters.size > 0) {
        log(200);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end(consentPage(url, [...characters.values()]));
      }
      if (bad || !who) {
        log(400);
        return send(res, 400, { error: 'invalid_request', error_description: bad ?? 'nobody to log in' });
      }
      // The consent page sends the scopes the person left ticked (`granted`); else all asked.
      const requested = (q.get('scope') ?? '').split(' ').filter(Boolean);
      const scopes = q.has('consented')
        ? requested.filter((s) => q.getAll('granted').includes(s))
        : requested;
      const location = new URL(redirect);
      location.searchParams.set('code', mintCode(who.characterId, scopes));
      if (q.has('state')) location.searchParams.set('state', q.get('state') ?? '');
      log(302);
      res.writeHead(302, { location: location.href });
      return void res.end();
    }
    log(404);
    send(res, 404, { error: 'not_found' });
  }

  const server = createServer((req, res) => {
    res.on('error', () => {});
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    jwksUrl: `${base}/oauth/jwks`,
    clientId,
    clientSecret,
    issuer,
    requests,
    addCharacter: (c: FakeSsoCharacter) => void characters.set(c.id, { ...c }),
    /** The next `/authorize` visits log this character in (scopes come from the URL). */
    loginAs: (characterId: number) => void (nextLogin = { characterId, scopes: [] }),
    /** An authorization code for `characterId`, as if the login had happened. */
    mintCode,
    /** A valid access token, signed with the published key. */
    mintAccessToken: (characterId: number, scopes: readonly string[] = []) =>
      keys.sign(claimsFor({ characterId, scopes: [...scopes] })),
    /** A token that must be refused: foreign key, expired, wrong issuer/audience, bad subject. */
    forgeAccessToken(kind: Forgery, characterId: number, scopes: readonly string[] = []) {
      const forged = forgeryOptions(kind, claimsFor({ characterId, scopes: [...scopes] }));
      return keys.sign(forged.claims, forged.options);
    },
    /** For the fake ESI's `resolveAccessToken`: the character of a valid token of this SSO. */
    characterIdOf: (accessToken: string) => keys.characterIdOf(accessToken),
    revokeRefreshToken(refreshToken: string) {
      const stored = refreshTokens.get(refreshToken);
      if (stored) stored.revoked = true;
    },
    revokeCharacter(characterId: number) {
      for (const stored of refreshTokens.values())
        if (stored.characterId === characterId) stored.revoked = true;
    },
    failNext: (count: number, status = 503) => void faults.fail.push(...Array<number>(count).fill(status)),
    delayNext: (count: number, ms: number) => void faults.delays.push(...Array<number>(count).fill(ms)),
    clearFaults() {
      faults.fail.length = 0;
      faults.delays.length = 0;
    },
    async close(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
