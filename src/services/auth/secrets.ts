/**
 * Every random secret Roster hands out draws its bytes here (node:crypto's randomBytes): API
 * tokens, browser sessions, EVE SSO and Discord OAuth states, group join links, link codes and
 * link nicknames. Only a secret's hash (`hashSecret`) is ever stored.
 */
import { createHash, randomBytes } from 'node:crypto';

/** What the store keeps in place of a secret: its SHA-256, hex. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A url-safe random token of `bytes` random bytes (default 32). */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError('randomToken needs at least 16 bytes');
  return randomBytes(bytes).toString('base64url');
}

/** A 32-byte token with a recognisable prefix (`rst_`, `rss_`), so leaked ones can be found by scanners. */
export const prefixedToken = (prefix: string): string => `${prefix}${randomToken()}`;

/**
 * `length` characters of a 32-letter alphabet (link codes, link nicknames, which a person reads
 * or types): 5 random bits per character, so no modulo bias.
 */
export function randomChars(alphabet: string, length: number): string {
  if (alphabet.length !== 32) throw new RangeError('randomChars draws from 32-letter alphabets only');
  let out = '';
  for (const byte of randomBytes(length)) out += alphabet[byte & 31];
  return out;
}
