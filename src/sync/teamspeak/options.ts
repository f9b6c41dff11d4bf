/** Options of one TeamSpeak target (one virtual server reached through one ServerQuery login). */

export interface TeamspeakTargetOptions {
  /** Name of the target in the config; mappings refer to it. */
  readonly name: string;
  readonly host: string;
  /** Raw ServerQuery port (default 10011). */
  readonly queryPort?: number;
  /** Virtual server id selected with `use sid=` (default 1). */
  readonly serverId?: number;
  readonly username: string;
  /** Never logged. */
  readonly password: string;
  /** Nickname of the query client on the virtual server (default "Roster"). */
  readonly nickname?: string;
  /** Flood budget of the server for this query client: commands per window (TeamSpeak default 10). */
  readonly commandsPerWindow?: number;
  /** Flood budget window (TeamSpeak default 3000 ms). */
  readonly windowMs?: number;
  /** Ask clients by private message to take their wanted nickname (default true). */
  readonly messageNicknames?: boolean;
  /** At most one nickname message per account this often (default 24 h). */
  readonly nicknameMessageIntervalMs?: number;
  /** The nickname message; receives the wanted nickname. */
  readonly nicknameMessage?: (nickname: string) => string;
  /** First reconnect delay; doubles per failed attempt (default 1 s). */
  readonly reconnectMinMs?: number;
  /** Longest reconnect delay (default 60 s). */
  readonly reconnectMaxMs?: number;
  /** Send a `version` keepalive after this much silence (default 60 s; TeamSpeak drops idle queries after 300 s). */
  readonly keepAliveMs?: number;
  /** Give up a connection attempt after this long (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** A command unanswered this long is treated as a dead connection (default 30 s). */
  readonly commandTimeoutMs?: number;
  /** Most client database ids in one `servergroupaddclient`/`servergroupdelclient` line (default 500). */
  readonly maxIdsPerCommand?: number;
  /**
   * Unique ids an admin link resolves one `clientgetdbidfromuid` each; more are found by paging
   * `clientdblist` instead (default 30).
   */
  readonly uidLookupsBeforeList?: number;
  /**
   * The permission check runs on every (re)connect and again this often while connected, so a
   * grant (or a revocation) shows without a restart (default 5 min; 0 = only on connect).
   */
  readonly permissionCheckMs?: number;
}

export type ResolvedTeamspeakOptions = Required<TeamspeakTargetOptions>;

export const teamspeakDefaults = {
  queryPort: 10011,
  serverId: 1,
  nickname: 'Roster',
  commandsPerWindow: 10,
  windowMs: 3000,
  messageNicknames: true,
  nicknameMessageIntervalMs: 24 * 60 * 60 * 1000,
  nicknameMessage: (nickname: string) =>
    `Hello! Please change your TeamSpeak nickname to "${nickname}" so people know who you are.`,
  reconnectMinMs: 1000,
  reconnectMaxMs: 60_000,
  keepAliveMs: 60_000,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 30_000,
  maxIdsPerCommand: 500,
  uidLookupsBeforeList: 30,
  permissionCheckMs: 5 * 60_000,
} as const satisfies Omit<ResolvedTeamspeakOptions, 'name' | 'host' | 'username' | 'password'>;

/** TeamSpeak's limit for server group names and nicknames. */
export const TEAMSPEAK_NAME_MAX_LENGTH = 30;

export function resolveTeamspeakOptions(options: TeamspeakTargetOptions): ResolvedTeamspeakOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = { ...teamspeakDefaults, ...defined } as ResolvedTeamspeakOptions;
  if (!Number.isInteger(resolved.commandsPerWindow) || resolved.commandsPerWindow < 1) {
    throw new RangeError(`teamspeak target ${options.name}: commandsPerWindow must be a positive integer`);
  }
  if (resolved.windowMs <= 0)
    throw new RangeError(`teamspeak target ${options.name}: windowMs must be positive`);
  if (resolved.reconnectMinMs <= 0 || resolved.reconnectMaxMs < resolved.reconnectMinMs) {
    throw new RangeError(`teamspeak target ${options.name}: need 0 < reconnectMinMs <= reconnectMaxMs`);
  }
  return resolved;
}
