import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConflictError, StoreError } from '../domain/errors.ts';

/** Turns a driver's unique violation (PostgreSQL 23505, MongoDB 11000) into a ConflictError. */
export function asConflict(error: unknown, message: string): unknown {
  if (error instanceof UniqueConstraintViolationException)
    return new ConflictError(message, { cause: error });
  return error;
}

/**
 * The database of `database.url` cannot be reached at start: the message names the key, the
 * address (without its password) and the cause, in one line; the cause keeps the stack.
 */
export class DatabaseUnreachableError extends StoreError {
  override readonly name = 'DatabaseUnreachableError';
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`database.url: cannot reach ${withoutPassword(url)}: ${reason.split('\n')[0]}`, { cause });
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
