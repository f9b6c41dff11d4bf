export { createEsiClient, type EsiClient, type EsiClientOptions, type EsiClientStats } from './client.ts';
export { EsiError, EsiMalformedResponseError, EsiNotFoundError, isEsiError } from './errors.ts';
export type {
  EsiAffiliation,
  EsiAlliance,
  EsiCharacter,
  EsiCorporation,
  EsiUniverseIds,
  EsiUniverseName,
} from './schemas.ts';
export {
  createSsoClient,
  EVE_SSO_ISSUERS,
  type SsoClient,
  type SsoClientOptions,
  type SsoTokens,
} from './sso.ts';
export { SsoError, SsoInvalidGrantError, SsoInvalidTokenError, SsoTransientError } from './sso-errors.ts';
export type { VerifiedAccessToken } from './sso-verify.ts';
export {
  decryptSecret,
  DecryptionError,
  encryptSecret,
  EncryptionKeyError,
  parseEncryptionKey,
} from '../crypto.ts';
