import type {
  AccountInspection,
  ApplyBatch,
  ApplyReport,
  NoticeDelivery,
  ObservedMembers,
  Platform,
  PlatformGroup,
  PlatformTarget,
  TargetStatus,
  RateLimitCounts,
} from '../../src/sync/target.ts';

export type TargetMethod = 'listGroups' | 'createGroup' | 'renameGroup' | 'deleteGroup' | 'observe' | 'apply';

export interface RecordedCall {
  readonly method: TargetMethod;
  /** A deep copy of the arguments, as they were at the time of the call. */
  readonly args: unknown[];
}

export interface MemoryGroup {
  name: string;
  members: Set<string>;
}

export interface Hold {
  /** Resolves once a call reached the hold (and is now waiting). */
  readonly reached: Promise<void>;
  /** Lets the waiting call go on. */
  release(): void;
}

/**
 * An in-memory platform (one TeamSpeak virtual server or Discord guild) behind the PlatformTarget
 * interface: it keeps groups and members, records every call, and fails on demand.
 */
export class MemoryTarget implements PlatformTarget {
  readonly platform: Platform;
  readonly name: string;
  /** Set false to stand for a target configured not to act on nicknames (it then changes none). */
  actsOnNicknames = true;
  readonly groups = new Map<string, MemoryGroup>();
  /** Accounts the platform shows (online clients, guild members) with their nickname. */
  readonly accounts = new Map<string, string | null>();
  readonly calls: RecordedCall[] = [];
  /** Private messages sent to accounts (notices), in order; only accounts in `accounts` are reachable. */
  readonly notices: { accountId: string; text: string }[] = [];
  private nextId = 100;
  private issued = 0;
  private readonly failures = new Map<TargetMethod, Error[]>();
  private readonly holds = new Map<TargetMethod, { arrive: () => void; wait: Promise<void> }>();
  private crashAfterCreating = 0;

  constructor(platform: Platform, name: string) {
    this.platform = platform;
    this.name = name;
  }

  // --- set-up and inspection -------------------------------------------------------------

  addGroup(id: string, name: string, members: readonly string[] = []): void {
    this.groups.set(id, { name, members: new Set(members) });
  }

  membersOf(id: string): string[] {
    return [...(this.groups.get(id)?.members ?? [])].sort();
  }

  /** Ids of the groups bearing `name`. */
  idsNamed(name: string): string[] {
    return [...this.groups].filter(([, g]) => g.name === name).map(([id]) => id);
  }

  snapshot(): Record<string, { name: string; members: string[] }> {
    return Object.fromEntries(
      [...this.groups].map(([id, g]) => [id, { name: g.name, members: [...g.members].sort() }]),
    );
  }

  callsOf(method: TargetMethod): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every platform group id a call changed or asked to change (observe and list are reads). */
  writtenGroupIds(): Set<string> {
    const ids = new Set<string>();
    for (const call of this.calls) {
      if (call.method === 'renameGroup' || call.method === 'deleteGroup') ids.add(call.args[0] as string);
      if (call.method === 'apply') {
        const batch = call.args[0] as ApplyBatch;
        for (const change of [...batch.adds, ...batch.removes]) ids.add(change.groupId);
      }
    }
    return ids;
  }

  /** The next call of `method` throws `error` before doing anything. */
  failNext(method: TargetMethod, error = new Error(`${method} failed (injected)`)): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
  }

  /** The next `count` createGroup calls create the group on the platform, then throw (the reply is lost). */
  crashAfterCreate(count = 1): void {
    this.crashAfterCreating = count;
  }

  /** The next call of `method` waits until released. */
  hold(method: TargetMethod): Hold {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const wait = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(method, { arrive, wait });
    return { reached, release };
  }

  // --- the PlatformTarget interface --------------------------------------------------------

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  status(): TargetStatus {
    return { connected: true, lastError: null, missingPermissions: [] };
  }

  callsIssued(): number {
    return this.issued;
  }

  rateLimits(): RateLimitCounts {
    return { waits: 0, waitedMs: 0, refused: 0 };
  }

  async listGroups(): Promise<PlatformGroup[]> {
    await this.enter('listGroups', []);
    return [...this.groups].map(([id, g]) => ({ id, name: g.name }));
  }

  async createGroup(name: string): Promise<PlatformGroup> {
    await this.enter('createGroup', [name]);
    const id = String(this.nextId++);
    this.groups.set(id, { name, members: new Set() });
    if (this.crashAfterCreating > 0) {
      this.crashAfterCreating--;
      throw new Error(`connection lost after creating "${name}" (injected)`);
    }
    return { id, name };
  }

  async renameGroup(groupId: string, name: string): Promise<void> {
    await this.enter('renameGroup', [groupId, name]);
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`no group ${groupId}`);
    group.name = name;
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.enter('deleteGroup', [groupId]);
    this.groups.delete(groupId);
  }

  async observe(groupIds: readonly string[]): Promise<ObservedMembers> {
    await this.enter('observe', [groupIds]);
    const members = new Map<string, Set<string>>();
    for (const id of groupIds) {
      const group = this.groups.get(id);
      if (group) members.set(id, new Set(group.members));
    }
    return { members, nicknames: new Map(this.accounts) };
  }

  /** Delivered to accounts the platform shows (online clients, guild members); others are offline. */
  async sendNotice(accountId: string, text: string): Promise<NoticeDelivery> {
    if (!this.accounts.has(accountId)) return { status: 'offline' };
    this.notices.push({ accountId, text });
    return { status: 'sent' };
  }

  /** Accounts in `refuse` have every grant refused with that reason (a platform's rule, simulated). */
  readonly refuse = new Map<string, string>();

  async inspectAccount(
    accountId: string,
    grant: { readonly groupIds: readonly string[]; readonly nickname: string | null },
  ): Promise<AccountInspection> {
    const holds = [...this.groups]
      .filter(([, g]) => g.members.has(accountId))
      .map(([id, g]) => ({ id, name: g.name }));
    const refusal = this.refuse.get(accountId);
    const refusals: Record<string, string> = {};
    if (refusal) for (const id of grant.groupIds) if (!holds.some((g) => g.id === id)) refusals[id] = refusal;
    return {
      present: this.accounts.has(accountId),
      nickname: this.accounts.get(accountId) ?? null,
      holds,
      refusals,
      nicknameRefusal: refusal && grant.nickname !== null ? refusal : null,
    };
  }

  async apply(batch: ApplyBatch): Promise<ApplyReport> {
    await this.enter('apply', [batch]);
    let added = 0;
    let removed = 0;
    let nicknamesChanged = 0;
    const errors: string[] = [];
    for (const change of batch.adds) {
      const group = this.groups.get(change.groupId);
      if (!group) errors.push(`add to unknown group ${change.groupId}`);
      else {
        for (const a of change.accountIds) {
          if (group.members.has(a)) continue;
          group.members.add(a);
          added++;
        }
      }
    }
    for (const change of batch.removes) {
      const group = this.groups.get(change.groupId);
      if (!group) errors.push(`remove from unknown group ${change.groupId}`);
      else for (const a of change.accountIds) if (group.members.delete(a)) removed++;
    }
    for (const n of batch.nicknames) {
      if (this.actsOnNicknames && this.accounts.has(n.accountId)) {
        this.accounts.set(n.accountId, n.nickname);
        nicknamesChanged++;
      }
    }
    return { added, removed, nicknamesChanged, skipped: [], errors };
  }

  private async enter(method: TargetMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args: structuredClone(args) });
    this.issued++;
    const hold = this.holds.get(method);
    if (hold) {
      this.holds.delete(method);
      hold.arrive();
      await hold.wait;
    }
    const error = this.failures.get(method)?.shift();
    if (error) throw error;
  }
}
