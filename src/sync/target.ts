/**
 * The seam between the platform-neutral reconciler and one platform instance (a TeamSpeak
 * virtual server or a Discord guild). The engine plans with pure functions and only ever
 * touches a platform through this interface; adapters live in `sync/teamspeak` and `sync/discord`.
 *
 * Ids are strings everywhere: TeamSpeak server group ids and client database ids, Discord role
 * and user snowflakes.
 */
export type Platform = 'teamspeak' | 'discord';

/** A platform group (TeamSpeak server group, Discord role) as the platform reports it. */
export interface PlatformGroup {
  readonly id: string;
  readonly name: string;
  /** False for groups Roster must never take over by name (Discord's @everyone, integration roles). */
  readonly adoptable?: boolean;
}

/** What one observation pass saw of the groups Roster manages. */
export interface ObservedMembers {
  /** Current members (account ids) of each requested platform group, by platform group id. */
  readonly members: Map<string, Set<string>>;
  /**
   * Current display name of each account the platform showed: online clients on TeamSpeak,
   * guild members on Discord (their guild nickname, or null when they have none).
   */
  readonly nicknames: Map<string, string | null>;
}

/**
 * What a scoped run asks to see: these groups whole, and these accounts in every requested group.
 * A target may show more (when reading whole groups costs fewer calls); the engine cuts it down.
 */
export interface ObserveScope {
  readonly wholeGroupIds: readonly string[];
  readonly accountIds: readonly string[];
}

export interface MembershipChange {
  /** Platform group id. */
  readonly groupId: string;
  /** Platform account ids (TeamSpeak client database ids, Discord user ids). */
  readonly accountIds: readonly string[];
}

export interface NicknameChange {
  readonly accountId: string;
  /** The wanted name (already truncated to the platform's limit). */
  readonly nickname: string;
}

/** Everything one run asks a target to do, after the guard accepted it. */
export interface ApplyBatch {
  readonly runId: string;
  readonly adds: readonly MembershipChange[];
  readonly removes: readonly MembershipChange[];
  readonly nicknames: readonly NicknameChange[];
  /** Why the changes are made; Discord puts it in X-Audit-Log-Reason. */
  readonly reason: string;
}

/** A change the platform would not let Roster make; reported, never fatal to the run. */
export interface SkippedChange {
  readonly accountId: string;
  /** The platform group of a skipped membership change; absent when a nickname change was skipped. */
  readonly groupId?: string;
  /** The platform group's name, as the engine last read it (the adapters report ids only). */
  readonly groupName?: string;
  readonly reason: string;
}

export interface ApplyReport {
  readonly added: number;
  readonly removed: number;
  readonly nicknamesChanged: number;
  readonly skipped: readonly SkippedChange[];
  /** Errors that stopped part of the batch; what was applied before them is counted above. */
  readonly errors: readonly string[];
}

/** One account as the platform shows it now, for "why don't I have X" (explain). */
export interface AccountInspection {
  /** In the guild (Discord); known to the server's client database (TeamSpeak). */
  readonly present: boolean;
  /** The name the platform shows (Discord: the guild nickname; TeamSpeak: online clients only). */
  readonly nickname: string | null;
  /** Every platform group the account holds now, managed by Roster or not. */
  readonly holds: readonly PlatformGroup[];
  /** Why the platform would refuse to grant each of the asked groups it would refuse, by group id. */
  readonly refusals: Readonly<Record<string, string>>;
  /** Why the platform would refuse to set the asked nickname; null when it would not. */
  readonly nicknameRefusal: string | null;
}

export interface TargetStatus {
  readonly connected: boolean;
  readonly lastError: string | null;
  /** Set when a start-up check found missing permissions (named), else empty. */
  readonly missingPermissions: readonly string[];
  /**
   * Members whose edits the platform refused (Discord: 403 Missing Permissions), not resent until
   * their roles, the role positions or the bot's roles change; each run lists them as skipped.
   */
  readonly refusedMembers?: number;
}

/** How a notice to a member went: delivered, the member is not online (TeamSpeak; try later), or refused. */
export type NoticeDelivery =
  | { readonly status: 'sent' }
  | { readonly status: 'offline' }
  | { readonly status: 'refused'; readonly reason: string };

export interface PlatformTarget {
  readonly platform: Platform;
  /** The target's name from the config (unique per platform). */
  readonly name: string;
  /**
   * Whether this target acts on nickname changes (Discord `setNicknames`, TeamSpeak
   * `messageNicknames`). When false the engine plans none: a plan lists only what a run does.
   */
  readonly actsOnNicknames: boolean;

  /** How many calls apply(batch) will issue (for a run's progress and ETA); default one per account. */
  estimateApplyCalls?(batch: ApplyBatch): number;

  /** Connects and checks permissions. Safe to call twice. Never throws for a platform outage: status() tells. */
  start(): Promise<void>;
  /** Closes connections. Safe to call twice. */
  stop(): Promise<void>;
  status(): TargetStatus;

  /** Every group on the platform (managed or not): needed to adopt by name and to check ids still exist. */
  listGroups(): Promise<PlatformGroup[]>;
  /** `reason` names Roster and the run (Discord puts it in X-Audit-Log-Reason). */
  createGroup(name: string, reason?: string): Promise<PlatformGroup>;
  renameGroup(groupId: string, name: string, reason?: string): Promise<void>;
  /** Only ever called on an operator's explicit request. */
  deleteGroup(groupId: string): Promise<void>;

  /**
   * One observation of the members of the given (managed) groups and of nicknames; with a scope,
   * only as much as the scope needs, in as few calls as the platform allows.
   */
  observe(groupIds: readonly string[], scope?: ObserveScope): Promise<ObservedMembers>;
  /** Applies a batch with the fewest calls the platform allows, within its rate limits. */
  apply(batch: ApplyBatch): Promise<ApplyReport>;
  /**
   * Sends one member a private message (a notice before removal): Discord a DM through the bot,
   * TeamSpeak a private text message to each of the account's online clients.
   */
  sendNotice(accountId: string, text: string): Promise<NoticeDelivery>;

  /**
   * What one account holds now, and which of `grant.groupIds` (and `grant.nickname`) the platform
   * would refuse, predicted by the same rules apply skips by. A few calls; changes nothing.
   */
  inspectAccount(
    accountId: string,
    grant: { readonly groupIds: readonly string[]; readonly nickname: string | null },
  ): Promise<AccountInspection>;

  /** Platform calls issued since this target was created (the engine diffs it per run). */
  callsIssued(): number;
  /** How often the platform's rate limits slowed or refused this target since it was created (metrics). */
  rateLimits(): RateLimitCounts;
}

export interface RateLimitCounts {
  /** Calls that waited for a rate-limit bucket before being sent (Discord; TeamSpeak's pacing is not counted). */
  readonly waits: number;
  readonly waitedMs: number;
  /** Times the platform said the target went over its limit: Discord 429 answers, TeamSpeak flood warnings. */
  readonly refused: number;
}
