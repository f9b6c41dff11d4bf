import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptSecret,
  DecryptionError,
  encryptSecret,
  EncryptionKeyError,
  parseEncryptionKey,
} from '../src/crypto.ts';

const raw = randomBytes(32);
const hexKey = raw.toString('hex');
const base64Key = raw.toString('base64');
const secret = 'refresh-token-Ünïcödé-✓';

describe('encryptSecret / decryptSecret', () => {
  it('round-trips with a hex key, a base64 key and a base64url key, which are the same key', () => {
    const blob = encryptSecret(secret, hexKey);
    expect(decryptSecret(blob, hexKey)).toBe(secret);
    expect(decryptSecret(blob, base64Key)).toBe(secret);
    expect(decryptSecret(blob, raw.toString('base64url'))).toBe(secret);
    expect(blob).not.toContain('refresh-token');
  });

  it('uses a fresh IV each time', () => {
    expect(encryptSecret(secret, hexKey)).not.toBe(encryptSecret(secret, hexKey));
  });

  it('detects tampering in any part of the blob', () => {
    const blob = encryptSecret(secret, hexKey);
    const parts = blob.split('.');
    for (let i = 1; i < parts.length; i += 1) {
      const part = Buffer.from(parts[i]!, 'base64url');
      part[0] = part[0]! ^ 1;
      const tampered = [...parts];
      tampered[i] = part.toString('base64url');
      expect(() => decryptSecret(tampered.join('.'), hexKey)).toThrow(DecryptionError);
    }
    expect(() => decryptSecret(blob.slice(0, -4), hexKey)).toThrow(DecryptionError);
    expect(() => decryptSecret('plaintext', hexKey)).toThrow(DecryptionError);
  });

  it('refuses another key and another context', () => {
    const blob = encryptSecret(secret, hexKey, 'character:90000001');
    expect(decryptSecret(blob, hexKey, 'character:90000001')).toBe(secret);
    expect(() => decryptSecret(blob, hexKey, 'character:90000002')).toThrow(DecryptionError);
    expect(() => decryptSecret(blob, hexKey)).toThrow(DecryptionError);
    expect(() => decryptSecret(blob, randomBytes(32).toString('hex'), 'character:90000001')).toThrow(
      DecryptionError,
    );
  });
});

describe('parseEncryptionKey', () => {
  it('names the problem without echoing the key', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseEncryptionKey(short)).toThrow(EncryptionKeyError);
    expect(() => parseEncryptionKey(short)).toThrow(/32 bytes \(got 16\)/);
    const error = (() => {
      try {
        return parseEncryptionKey('not a key at all!');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EncryptionKeyError);
    expect((error as Error).message).not.toContain('not a key');
    expect(() => parseEncryptionKey('')).toThrow(EncryptionKeyError);
    expect(() => encryptSecret('x', 'abc')).toThrow(EncryptionKeyError);
  });

  it('accepts raw bytes of the right length only', () => {
    expect(parseEncryptionKey(raw)).toEqual(raw);
    expect(() => parseEncryptionKey(new Uint8Array(31))).toThrow(EncryptionKeyError);
  });
});
