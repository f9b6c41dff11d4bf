import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConflictError, StoreError } from '../domain/errors.ts';

/** Turns a driver's unique violation (PostgreSQL 23505, MongoDB 11000) into a ConflictError. */
export function asConflict(error: unknown, message: string): unknown {
  if (error instanceof UniqueConstraintViolationException)
    return new ConflictError(message, { cause: error });
  return error;
}

/**
 * A UUID v7: time-ordered, so ids sort by creation (cursor pagination by id lists the newest
 * runs first) and index well, while staying unguessable (74 random bits).
 */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = Date.now();
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
