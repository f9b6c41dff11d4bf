import { describe, expect, it } from 'vitest';
import { hashSecret, prefixedToken, randomChars, randomToken } from '../../../src/services/auth/secrets.ts';

describe('randomToken', () => {
  it('gives url-safe tokens of the requested entropy, all different', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(randomToken(48), 'base64url')).toHaveLength(48);
    expect(() => randomToken(8)).toThrow(RangeError);
  });
});

describe('prefixedToken and randomChars', () => {
  it('puts the prefix before 32 random bytes', () => {
    expect(prefixedToken('rst_')).toMatch(/^rst_[A-Za-z0-9_-]{43}$/);
    expect(prefixedToken('rst_')).not.toBe(prefixedToken('rst_'));
  });

  it('draws only from the 32-letter alphabet it is given, and refuses any other size', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const drawn = Array.from({ length: 200 }, () => randomChars(alphabet, 8));
    for (const s of drawn) expect(s).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    // 200 draws of 8 characters see every letter of the alphabet.
    expect(new Set(drawn.join(''))).toHaveProperty('size', 32);
    expect(() => randomChars('abc', 4)).toThrow(RangeError);
  });

  it('stores a secret as its SHA-256 in hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
