import type { Config } from '../config/schema.ts';
import type { SsoLogin } from '../services/auth/sso-login.ts';
import type { LinkPorts } from '../domain/link-ports.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../store/orm.ts';
import type { Notifier } from '../services/notifier.ts';

/** What the member portal needs; main wiring builds it (web/ never imports api/). */
export interface WebDeps {
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
  readonly links: LinkPorts;
  /** The EVE SSO login; null when sso.clientId/clientSecret/callbackUrl are not set. */
  readonly login: SsoLogin | null;
  /** Whom the portal's use cases tell what a change causes (the same notifier the control plane's use). */
  readonly notifier: Notifier;
  /** Counts EVE SSO logins started per address (each writes a state row until it expires). */
  readonly loginStarts: { blocked(ip: string): boolean; fail(ip: string): void };
}
