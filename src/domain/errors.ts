/**
 * The typed errors of the directory's rules, thrown by the store and the use cases alike (and a
 * platform's refusal, thrown by the adapters); the control plane and the portal map them to tRPC
 * codes and pages. Pure: no I/O here.
 */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string | number, message = `${what} ${id} not found`) {
    super(message);
  }
}

/** A unique value already taken (a name, an id, a linked account). */
export class ConflictError extends StoreError {
  override readonly name = 'ConflictError';
}

/** A reference to something that does not exist (an unknown corporation, user or group). */
export class InvalidReferenceError extends StoreError {
  override readonly name = 'InvalidReferenceError';
}

/** A request the domain rules refuse (editing an autogroup, a bad name). */
export class RuleViolationError extends StoreError {
  override readonly name = 'RuleViolationError';
}

/** The caller may not do this here (a use case that checks its own rights, e.g. a group's leaders). */
export class ForbiddenError extends StoreError {
  override readonly name = 'ForbiddenError';
}

/**
 * A platform answered and said no (a bad, expired or reused OAuth2 code; a revoked token; a user
 * who may not join): asking again the same way cannot help. Thrown by the platform adapters
 * through the ports of domain/link-ports.ts; its message holds no secret (no request body).
 */
export class PlatformRefusedError extends Error {
  override readonly name = 'PlatformRefusedError';
  /** The platform's own code (Discord: `invalid_grant`, `invalid_client`, 50025, ...). */
  readonly code: string | number;
  /** The HTTP status of the refusal. */
  readonly status: number;

  constructor(message: string, refusal: { code: string | number; status: number }) {
    super(message);
    this.code = refusal.code;
    this.status = refusal.status;
  }
}
