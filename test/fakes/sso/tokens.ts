/**
 * Signing for the fake EVE SSO: a real RS256 key pair made at start, JWT access tokens with
 * EVE's claims (`sub` = `CHARACTER:EVE:<id>`, `name`, `scp`, `owner`, `aud` = [client id,
 * "EVE Online"], ...), and forgeries for the tests that must see them refused.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';

export const KEY_ID = 'JWT-Signature-Key';

export interface AccessTokenClaims {
  characterId: number;
  characterName: string;
  scopes?: readonly string[];
  ownerHash?: string;
  clientId: string;
  issuer: string;
  /** Default `[clientId, 'EVE Online']`. */
  audience?: string[];
  /** Seconds from now; negative for an already expired token. Default 1199. */
  expiresInSeconds?: number;
}

export type Forgery = 'foreign-key' | 'expired' | 'wrong-issuer' | 'wrong-audience' | 'bad-subject';

export interface SigningKeys {
  readonly jwks: { keys: JWK[] };
  sign(claims: AccessTokenClaims, options?: { foreign?: boolean; subject?: string }): Promise<string>;
  /** The character id of a token this SSO issued and that is still valid, else null. */
  characterIdOf(accessToken: string): Promise<number | null>;
}

export async function createSigningKeys(): Promise<SigningKeys> {
  const own = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(own.publicKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };

  async function sign(claims: AccessTokenClaims, options: { foreign?: boolean; subject?: string } = {}) {
    const key: CryptoKey = options.foreign ? foreign.privateKey : own.privateKey;
    const scopes = claims.scopes ?? [];
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      jti: randomUUID(),
      kid: KEY_ID,
      azp: claims.clientId,
      tenant: 'tranquility',
      tier: 'live',
      region: 'world',
      name: claims.characterName,
      owner: claims.ownerHash ?? `owner-${claims.characterId}`,
    };
    // EVE sends a single scope as a string and several as an array.
    if (scopes.length === 1) payload.scp = scopes[0];
    else if (scopes.length > 1) payload.scp = [...scopes];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID, typ: 'JWT' })
      .setSubject(options.subject ?? `CHARACTER:EVE:${claims.characterId}`)
      .setIssuer(claims.issuer)
      .setAudience(claims.audience ?? [claims.clientId, 'EVE Online'])
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.expiresInSeconds ?? 1199))
      .sign(key);
  }

  return {
    jwks: { keys: [publicJwk] },
    sign,
    async characterIdOf(accessToken) {
      try {
        const { payload } = await jwtVerify(accessToken, own.publicKey, { algorithms: ['RS256'] });
        const match = /^CHARACTER:EVE:(\d+)$/.exec(payload.sub ?? '');
        return match?.[1] === undefined ? null : Number(match[1]);
      } catch {
        return null;
      }
    },
  };
}

/** Claims and signing options for one kind of forged token. */
export function forgeryOptions(kind: Forgery, claims: AccessTokenClaims) {
  switch (kind) {
    case 'foreign-key':
      return { claims, options: { foreign: true } };
    case 'expired':
      return { claims: { ...claims, expiresInSeconds: -3600 }, options: {} };
    case 'wrong-issuer':
      return { claims: { ...claims, issuer: 'https://login.evil.example' }, options: {} };
    case 'wrong-audience':
      return { claims: { ...claims, audience: ['another-client', 'EVE Online'] }, options: {} };
    case 'bad-subject':
      return { claims, options: { subject: `CORPORATION:EVE:${claims.characterId}` } };
  }
}
