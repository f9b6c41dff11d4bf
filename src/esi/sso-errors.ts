/**
 * Typed errors of the EVE SSO client. The distinction that matters: `SsoInvalidGrantError`
 * means the SSO itself said the code or refresh token is dead (mark the token invalid);
 * `SsoTransientError` means nothing is known about the token (network, timeout, 5xx): keep it.
 */

export interface SsoErrorDetails {
  /** OAuth error code (`invalid_grant`, `invalid_client`, ...) or a local one. */
  readonly code: string;
  /** HTTP status, or null when no response arrived. */
  readonly status: number | null;
  readonly transient: boolean;
  readonly cause?: unknown;
}

export class SsoError extends Error {
  override name = 'SsoError';
  readonly code: string;
  readonly status: number | null;
  readonly transient: boolean;

  constructor(message: string, details: SsoErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
    this.transient = details.transient;
  }
}

/** The SSO answered `invalid_grant`: the authorization code or refresh token is dead. */
export class SsoInvalidGrantError extends SsoError {
  override name = 'SsoInvalidGrantError';

  constructor(status: number, description?: string) {
    super(`EVE SSO: invalid_grant${description ? ` (${description})` : ''}`, {
      code: 'invalid_grant',
      status,
      transient: false,
    });
  }
}

/** Network error, timeout, 5xx or an unreachable JWKS: try again later, invalidate nothing. */
export class SsoTransientError extends SsoError {
  override name = 'SsoTransientError';

  constructor(message: string, status: number | null, cause?: unknown) {
    super(`EVE SSO: ${message}`, { code: 'temporarily_unavailable', status, transient: true, cause });
  }
}

/** An access token that must not be trusted: bad signature, expired, wrong issuer or audience. */
export class SsoInvalidTokenError extends SsoError {
  override name = 'SsoInvalidTokenError';
  /** Short machine-readable reason, e.g. `signature`, `expired`, `issuer`, `audience`, `subject`. */
  readonly reason: string;

  constructor(reason: string, message: string, cause?: unknown) {
    super(`EVE SSO: access token refused: ${message}`, {
      code: 'invalid_token',
      status: null,
      transient: false,
      cause,
    });
    this.reason = reason;
  }
}
