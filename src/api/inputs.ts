import { z } from 'zod';

/** zod pieces the routers share, bounded to what the store's columns hold. */

/** Roster's own ids (UUIDs; 64 is the column's width). */
export const id = z.string().min(1).max(64);

/** An EVE id (character, corporation, alliance): a positive safe integer. */
export const eveId = z.number().int().positive();

/** true allows, false denies, null inherits (see the login cascade). */
export const loginFlag = z.boolean().nullable();

/** ESI scope names such as `esi-wallet.read_character_wallet.v1`; kept sorted and unique. */
export const esiScopes = z
  .array(z.string().regex(/^[a-z0-9_.-]{1,100}$/i, 'an ESI scope is letters, digits, ".", "_" or "-"'))
  .max(100)
  .transform((scopes) => [...new Set(scopes)].sort());

/** An EVE ticker or a coalition's: up to 10 letters, digits, spaces, ".", "_" or "-". */
export const ticker = z
  .string()
  .trim()
  .min(1)
  .max(10)
  .regex(/^[\p{L}\p{N} ._-]+$/u, 'a ticker is letters, digits, spaces, ".", "_" or "-"');

export const name = z.string().trim().min(1).max(100);

export const platform = z.enum(['teamspeak', 'discord']);
