/**
 * Users' EVE refresh tokens at rest: encrypted with `sso.encryptionKey` and bound to the
 * character, so a blob copied to another user's row does not decrypt there. The login stores
 * them; the director tokens (directory/access-tokens.ts) read and renew them.
 */
import { decryptSecret, encryptSecret } from '../../crypto.ts';

/** The additional data a refresh token is encrypted with: a blob copied to another user does not decrypt. */
const refreshTokenContext = (characterId: number): string => `refresh-token:${characterId}`;

export function encryptRefreshToken(refreshToken: string, key: string, characterId: number): string {
  return encryptSecret(refreshToken, key, refreshTokenContext(characterId));
}

/** Throws DecryptionError (wrong key, another character's blob, tampered) as decryptSecret does. */
export function decryptRefreshToken(blob: string, key: string, characterId: number): string {
  return decryptSecret(blob, key, refreshTokenContext(characterId));
}
