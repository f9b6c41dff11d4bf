/**
 * Typed errors of the ESI client. Every error names the route template (never the token, never
 * the query) and says whether trying again later may succeed: jobs retry transient errors and
 * never mark data or tokens invalid because of them.
 */

export interface EsiErrorDetails {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  readonly status: number | null;
  /** Route template, e.g. `/characters/{character_id}/`. */
  readonly route: string;
  /** True when a later attempt may succeed (5xx, 420, network, timeout). */
  readonly transient: boolean;
  /** ESI's `error` field from the reply body, when there was one. */
  readonly esiMessage?: string | undefined;
  readonly cause?: unknown;
}

export class EsiError extends Error {
  override name = 'EsiError';
  readonly status: number | null;
  readonly route: string;
  readonly transient: boolean;
  readonly esiMessage: string | undefined;

  constructor(message: string, details: EsiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.route = details.route;
    this.transient = details.transient;
    this.esiMessage = details.esiMessage;
  }
}

/** ESI answered 404: the character, corporation or alliance does not exist (or no longer does). */
export class EsiNotFoundError extends EsiError {
  override name = 'EsiNotFoundError';

  constructor(route: string, esiMessage?: string) {
    super(`ESI ${route}: not found${esiMessage ? ` (${esiMessage})` : ''}`, {
      status: 404,
      route,
      transient: false,
      esiMessage,
    });
  }
}

/** ESI answered 2xx with a body that does not have the documented shape. */
export class EsiMalformedResponseError extends EsiError {
  override name = 'EsiMalformedResponseError';
  /** Short description of what did not match (field paths), without the body itself. */
  readonly issues: string;

  constructor(route: string, status: number, issues: string, cause?: unknown) {
    super(`ESI ${route}: malformed reply (${issues})`, { status, route, transient: false, cause });
    this.issues = issues;
  }
}

/** Builds the error for a non-2xx reply: 5xx and 420 are transient, other 4xx are not. */
export function esiErrorForStatus(route: string, status: number, esiMessage?: string): EsiError {
  if (status === 404) return new EsiNotFoundError(route, esiMessage);
  const transient = status >= 500 || status === 420 || status === 429;
  return new EsiError(`ESI ${route}: HTTP ${status}${esiMessage ? ` (${esiMessage})` : ''}`, {
    status,
    route,
    transient,
    esiMessage,
  });
}

export function isEsiError(error: unknown): error is EsiError {
  return error instanceof EsiError;
}
