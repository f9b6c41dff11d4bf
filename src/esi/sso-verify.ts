/**
 * Verification of EVE SSO v2 access tokens (JWTs): signature against the SSO's JWKS, issuer,
 * every required audience, expiry; then EVE's claims read into a typed identity.
 * Failures that say something about the token become `SsoInvalidTokenError`; failures that only
 * say the JWKS could not be read become `SsoTransientError`.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { SsoInvalidTokenError, SsoTransientError } from './sso-errors.ts';

export interface VerifiedAccessToken {
  readonly characterId: number;
  readonly characterName: string;
  readonly scopes: string[];
  readonly expiresAt: Date;
  /** EVE's `owner` claim: changes when the character is sold to another account. */
  readonly ownerHash: string | null;
}

export interface AccessTokenVerifierOptions {
  readonly jwksUrl: string;
  readonly issuer: readonly string[];
  /** Every one of these must be in `aud`. */
  readonly audience: readonly string[];
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly clockToleranceSeconds: number;
  readonly now: () => number;
}

const SUBJECT = /^CHARACTER:EVE:(\d+)$/;

function classify(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new SsoInvalidTokenError('expired', 'token expired', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'iss' ? 'issuer' : error.claim === 'aud' ? 'audience' : error.claim;
    return new SsoInvalidTokenError(reason, `claim ${error.claim} rejected (${error.reason})`, error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new SsoInvalidTokenError('signature', 'signature does not match the SSO keys', error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new SsoInvalidTokenError('algorithm', 'signature algorithm not accepted', error);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new SsoInvalidTokenError('malformed', 'not a well-formed JWT', error);
  }
  // JWKS fetch failed, timed out, or returned garbage: nothing is known about the token.
  const message = error instanceof Error ? error.message : String(error);
  return new SsoTransientError(`could not read the JWKS (${message})`, null, error);
}

function readScopes(scp: unknown): string[] {
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  return [];
}

function readIdentity(payload: JWTPayload, audience: readonly string[]): VerifiedAccessToken {
  const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  const missing = audience.filter((a) => !aud.includes(a));
  if (missing.length > 0) {
    throw new SsoInvalidTokenError(
      'audience',
      `audience lacks ${missing.map((a) => JSON.stringify(a)).join(', ')}`,
    );
  }
  const match = SUBJECT.exec(payload.sub ?? '');
  const characterId = match?.[1] === undefined ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(characterId) || characterId <= 0) {
    throw new SsoInvalidTokenError('subject', 'subject is not CHARACTER:EVE:<id>');
  }
  const name = payload.name;
  if (typeof name !== 'string' || name === '') throw new SsoInvalidTokenError('name', 'no character name');
  if (typeof payload.exp !== 'number') throw new SsoInvalidTokenError('expired', 'no expiry');
  return {
    characterId,
    characterName: name,
    scopes: readScopes(payload.scp),
    expiresAt: new Date(payload.exp * 1000),
    ownerHash: typeof payload.owner === 'string' ? payload.owner : null,
  };
}

export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): (accessToken: string) => Promise<VerifiedAccessToken> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs,
    headers: { 'user-agent': options.userAgent },
  });
  return async (accessToken) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(accessToken, jwks, {
        issuer: [...options.issuer],
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: new Date(options.now()),
      }));
    } catch (error) {
      throw classify(error);
    }
    return readIdentity(payload, options.audience);
  };
}
