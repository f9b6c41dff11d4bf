/**
 * Access tokens from stored refresh tokens. A user's refresh token is kept encrypted
 * (`sso.encryptionKey`, bound to the character id); an access token is asked for when none is
 * cached or the cached one is about to expire. Only the SSO's `invalid_grant` marks a refresh
 * token invalid: a network error, a timeout or a 5xx change nothing.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DecryptionError, parseEncryptionKey } from '../crypto.ts';
import { decryptRefreshToken, encryptRefreshToken } from '../services/auth/refresh-tokens.ts';
import { SsoInvalidGrantError } from '../esi/sso-errors.ts';
import type { SsoClient } from '../esi/sso.ts';
import type { Logger } from '../logger.ts';
import type { User } from '../store/entities/index.ts';

/** No usable refresh token: none stored, marked invalid, or not decryptable with the configured key. */
export class NoRefreshTokenError extends Error {
  override readonly name = 'NoRefreshTokenError';
}

export interface AccessTokensOptions {
  readonly sso: Pick<SsoClient, 'refresh'>;
  /** `sso.encryptionKey`; the same key that encrypted the stored tokens. */
  readonly encryptionKey: string;
  readonly logger: Logger;
  /** A cached access token is renewed when it has less than this left. Default 60 s. */
  readonly renewBeforeMs?: number;
  readonly now?: () => number;
}

export interface AccessTokens {
  /**
   * Calls `use` with a valid access token of the user, refreshing it when needed. Throws
   * `NoRefreshTokenError`, `SsoInvalidGrantError` (the token is then marked invalid) or
   * `SsoTransientError` (nothing changed).
   */
  withFreshAccessToken<T>(
    em: EntityManager,
    user: User,
    use: (accessToken: string) => Promise<T>,
  ): Promise<T>;
  /** Forgets cached access tokens (of one user, or all). */
  forget(userId?: string): void;
}

export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  parseEncryptionKey(options.encryptionKey); // a bad key fails at start-up, not at the first refresh
  const now = options.now ?? Date.now;
  const renewBeforeMs = options.renewBeforeMs ?? 60_000;
  const cache = new Map<string, { accessToken: string; expiresAt: number; blob: string }>();
  // One refresh in flight per user: concurrent callers share it.
  const inflight = new Map<string, Promise<string>>();

  async function refresh(em: EntityManager, user: User): Promise<string> {
    const blob = user.refreshToken;
    if (!blob || user.refreshTokenValid === false) {
      throw new NoRefreshTokenError(
        blob
          ? `the refresh token of user ${user.id} was refused by the EVE SSO; the pilot must log in again`
          : `user ${user.id} has no refresh token: their login granted no ESI scope (the SSO issues one only with a scope)`,
      );
    }
    let plain: string;
    try {
      plain = decryptRefreshToken(blob, options.encryptionKey, user.characterId);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      // Not the SSO's verdict: the key changed or the row was tampered with. The token is left as it is.
      options.logger.error(
        { userId: user.id, characterId: user.characterId },
        'sso:refresh-token-undecryptable',
      );
      throw new NoRefreshTokenError(
        `the refresh token of user ${user.id} cannot be decrypted with sso.encryptionKey`,
        { cause: error },
      );
    }
    let tokens;
    try {
      tokens = await options.sso.refresh(plain);
    } catch (error) {
      if (error instanceof SsoInvalidGrantError) {
        user.refreshTokenValid = false;
        await em.flush();
        cache.delete(user.id);
        options.logger.warn({ userId: user.id, characterId: user.characterId }, 'sso:refresh-token-invalid');
      }
      throw error;
    }
    let stored = blob;
    // A refresh reply without a refresh token keeps the one that was used.
    const next = tokens.refreshToken ?? plain;
    if (next !== plain || user.refreshTokenValid !== true) {
      stored = next !== plain ? encryptRefreshToken(next, options.encryptionKey, user.characterId) : blob;
      user.refreshToken = stored;
      user.refreshTokenValid = true;
      await em.flush();
    }
    cache.set(user.id, {
      accessToken: tokens.accessToken,
      expiresAt: tokens.expiresAt.getTime(),
      blob: stored,
    });
    return tokens.accessToken;
  }

  return {
    async withFreshAccessToken(em, user, use) {
      const cached = cache.get(user.id);
      let accessToken: string;
      if (
        cached &&
        cached.blob === user.refreshToken &&
        user.refreshTokenValid !== false &&
        cached.expiresAt - now() > renewBeforeMs
      ) {
        accessToken = cached.accessToken;
      } else {
        let pending = inflight.get(user.id);
        if (!pending) {
          pending = refresh(em, user).finally(() => inflight.delete(user.id));
          inflight.set(user.id, pending);
        }
        accessToken = await pending;
      }
      return use(accessToken);
    },
    forget(userId) {
      if (userId === undefined) cache.clear();
      else cache.delete(userId);
    },
  };
}
