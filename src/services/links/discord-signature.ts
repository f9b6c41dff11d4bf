import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** How far a signed timestamp may lie from now; Discord signs each request as it sends it. */
export const SIGNATURE_MAX_SKEW_SECONDS = 300;

/** An application's public key (64 hex characters, as the developer portal shows it) as a KeyObject. */
export function ed25519PublicKey(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error('an Ed25519 public key is 64 hexadecimal characters');
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') },
    format: 'jwk',
  });
}

/**
 * Discord's interaction signature: Ed25519 over `timestamp + body` (the raw bytes), in the
 * `X-Signature-Ed25519` (hex) and `X-Signature-Timestamp` headers. Returns the key that verified,
 * or null. A timestamp too far from `now` is refused too, so an old request cannot be replayed.
 */
export function verifyDiscordSignature<K extends { key: KeyObject }>(
  keys: readonly K[],
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: Buffer,
  now = new Date(),
): K | null {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^[0-9a-f]{128}$/i.test(signature) || !/^\d{1,12}$/.test(timestamp))
    return null;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_MAX_SKEW_SECONDS) return null;
  const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), body]);
  const sig = Buffer.from(signature, 'hex');
  return keys.find((k) => verify(null, message, k.key, sig)) ?? null;
}
