/**
 * Secrets at rest (refresh tokens) with AES-256-GCM, and ids. Random secrets handed out (tokens,
 * states, codes) come from services/auth/secrets.ts.
 * Blob format: `v1.<base64url(iv)>.<base64url(ciphertext)>.<base64url(tag)>`; an optional
 * context (e.g. the character id) is bound as additional authenticated data, so a blob copied
 * to another row does not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class EncryptionKeyError extends Error {
  override name = 'EncryptionKeyError';
}

/** The blob was tampered with, truncated, or encrypted with another key or context. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * Reads a 32-byte key given as 64 hex characters or as base64/base64url (44 or 43 characters).
 * The error never contains the key.
 */
export function parseEncryptionKey(key: string | Uint8Array): Buffer {
  if (typeof key !== 'string') {
    if (key.length !== KEY_BYTES) {
      throw new EncryptionKeyError(`encryption key must be ${KEY_BYTES} bytes (got ${key.length})`);
    }
    return Buffer.from(key);
  }
  const text = key.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
    throw new EncryptionKeyError(
      `encryption key must decode to ${KEY_BYTES} bytes (got ${bytes.length}); ` +
        'generate one with `openssl rand -base64 32`',
    );
  }
  throw new EncryptionKeyError(
    `encryption key must be ${KEY_BYTES} bytes as 64 hex characters or base64 ` +
      `(got ${text.length} characters); generate one with \`openssl rand -base64 32\``,
  );
}

export function encryptSecret(plain: string, key: string | Uint8Array, context?: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', parseEncryptionKey(key), iv, { authTagLength: TAG_BYTES });
  if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, ciphertext, tag]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function decryptSecret(blob: string, key: string | Uint8Array, context?: string): string {
  const keyBytes = parseEncryptionKey(key);
  const parts = blob.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError('not an encrypted secret (v1)');
  const [iv, ciphertext, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
    throw new DecryptionError('encrypted secret is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyBytes, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new DecryptionError('secret could not be decrypted (wrong key, wrong context, or tampered data)', {
      cause: error,
    });
  }
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
