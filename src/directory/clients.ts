/**
 * The ESI and EVE SSO clients built from the configuration. Both send a User-Agent with the
 * operator's contact (`esi.contact`), as CCP asks.
 */
import type { Config } from '../config/schema.ts';
import { createEsiClient, type EsiClient } from '../esi/client.ts';
import { createSsoClient, type SsoClient } from '../esi/sso.ts';
import type { Logger } from '../logger.ts';
import { version } from '../version.ts';

export function userAgentOf(config: Config): string {
  const contact = config.esi.contact.trim();
  return contact ? `Roster/${version} (${contact})` : `Roster/${version}`;
}

export function esiClientFromConfig(config: Config, logger: Logger): EsiClient {
  if (!config.esi.contact.trim()) {
    logger.warn('esi.contact is empty: CCP asks for contact details in the User-Agent of ESI clients');
  }
  return createEsiClient(
    { baseUrl: config.esi.baseUrl, userAgent: userAgentOf(config), timeoutMs: config.esi.timeoutMs },
    logger.child({ area: 'esi' }),
  );
}

/** True when the EVE application is configured, so that logins (and refresh tokens) can work. */
export function ssoConfigured(config: Config): boolean {
  return Boolean(config.sso.clientId && config.sso.clientSecret && config.sso.callbackUrl);
}

/** The SSO client, or null when `sso.clientId`, `sso.clientSecret` or `sso.callbackUrl` is missing. */
export function ssoClientFromConfig(config: Config, logger?: Logger): SsoClient | null {
  if (!ssoConfigured(config)) return null;
  return createSsoClient(
    {
      loginBaseUrl: config.sso.loginBaseUrl,
      clientId: config.sso.clientId,
      clientSecret: config.sso.clientSecret,
      callbackUrl: config.sso.callbackUrl,
      userAgent: userAgentOf(config),
      timeoutMs: config.esi.timeoutMs,
    },
    logger?.child({ area: 'sso' }),
  );
}
