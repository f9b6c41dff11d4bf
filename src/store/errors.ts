import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** The store's typed errors; the control plane maps them to tRPC codes. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string | number) {
    super(`${what} ${id} not found`);
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

/** Turns a driver's unique violation (PostgreSQL 23505, MongoDB 11000) into a ConflictError. */
export function asConflict(error: unknown, message: string): unknown {
  if (error instanceof UniqueConstraintViolationException) return new ConflictError(message, { cause: error });
  return error;
}

export const newId = (): string => crypto.randomUUID();
