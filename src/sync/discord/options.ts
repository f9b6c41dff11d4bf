/** Configuration of one Discord target (one guild). */
export interface DiscordTargetOptions {
  /** The target's name from the config (unique among Discord targets). */
  readonly name: string;
  /** Bot token (without the `Bot ` prefix). Never logged. */
  readonly token: string;
  readonly guildId: string;
  /** Discord's API root, without the version: default `https://discord.com/api`. */
  readonly apiBaseUrl?: string;
  /** Set members' nicknames (in the same PATCH as their roles). Default true. */
  readonly setNicknames?: boolean;
  /** Permissions of the roles Roster creates, as Discord's decimal string. Default `'0'`. */
  readonly rolePermissions?: string;
  /** OAuth2 application (client) id for the link flow; the link helpers default to it. */
  readonly oauthClientId?: string;
  /** OAuth2 client secret (secret; never logged). */
  readonly oauthClientSecret?: string;
  /** Immediate retries by @discordjs/rest on 5xx, ECONNRESET and timeouts. Default 3. */
  readonly restRetries?: number;
  /** Per-request timeout in milliseconds. Default 15 000. */
  readonly timeoutMs?: number;
  /** The client-side global limit @discordjs/rest paces itself to. Default 50 (Discord's). */
  readonly globalRequestsPerSecond?: number;
  /** Extra wait added to every rate-limit reset, in milliseconds. Default 50. */
  readonly rateLimitOffsetMs?: number;
  /** Retries with exponential backoff once @discordjs/rest gave up (5xx, network errors). Default 3. */
  readonly backoffRetries?: number;
  /**
   * First backoff delay in milliseconds (doubled each time); each wait is drawn between half of
   * it and all of it (src/backoff.ts). Default 500.
   */
  readonly backoffBaseMs?: number;
  /** Longest backoff delay in milliseconds. Default 10 000. */
  readonly backoffMaxMs?: number;
  /** Member PATCHes in flight at once (they share one bucket; the REST client queues them). Default 4. */
  readonly concurrency?: number;
  /** Apply stops after this many member edits failed in a row (not counting skips). Default 5. */
  readonly maxConsecutiveFailures?: number;
}

export const discordTargetDefaults = {
  apiBaseUrl: 'https://discord.com/api',
  setNicknames: true,
  rolePermissions: '0',
  oauthClientId: '',
  oauthClientSecret: '',
  restRetries: 3,
  timeoutMs: 15_000,
  globalRequestsPerSecond: 50,
  rateLimitOffsetMs: 50,
  backoffRetries: 3,
  backoffBaseMs: 500,
  backoffMaxMs: 10_000,
  concurrency: 4,
  maxConsecutiveFailures: 5,
} as const satisfies Required<Omit<DiscordTargetOptions, 'name' | 'token' | 'guildId'>>;

export type ResolvedDiscordOptions = Required<DiscordTargetOptions>;

export function resolveDiscordOptions(options: DiscordTargetOptions): ResolvedDiscordOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...discordTargetDefaults, ...defined } as ResolvedDiscordOptions;
}

/** Discord's limit on X-Audit-Log-Reason (characters, before URL encoding). */
export const AUDIT_REASON_MAX = 512;
