/**
 * The TeamSpeak target: one virtual server reached through one paced ServerQuery connection.
 * A full read costs one `servergroupclientlist` per managed group plus one `clientlist`; a scoped
 * read as few as one `servergroupsbyclientid` per affected client; writes one batched add and one
 * batched remove per changed group.
 */
import type { Logger } from 'pino';
import type {
  AccountInspection,
  ApplyBatch,
  ApplyReport,
  NoticeDelivery,
  ObservedMembers,
  ObserveScope,
  PlatformGroup,
  PlatformTarget,
  SkippedChange,
  TargetStatus,
  RateLimitCounts,
} from '../target.ts';
import type { EventEmitter } from 'node:events';
import type { TeamspeakClientMatch, TeamspeakLinkPort } from '../../domain/link-ports.ts';
import {
  TeamspeakConnection,
  type QueryEntry,
  type QueryOptions,
  type TeamspeakEvents,
} from './connection.ts';
import { QueryErrorId, TeamspeakCommandError, describeError, errorId } from './errors.ts';
import { applyMembershipChanges } from './membership.ts';
import { NicknameMessenger, listOnlineClients } from './nicknames.ts';
import { checkPermissions, describeMissing, describePermission } from './permissions.ts';
import {
  TEAMSPEAK_NAME_MAX_LENGTH,
  resolveTeamspeakOptions,
  type ResolvedTeamspeakOptions,
  type TeamspeakTargetOptions,
} from './options.ts';

/** One virtual server as a reconciler target, and the port the link flows ask it through. */
export class TeamspeakTarget implements PlatformTarget, TeamspeakLinkPort {
  readonly platform = 'teamspeak' as const;
  readonly name: string;
  /** TeamSpeak cannot rename a client: a nickname change is a private message asking for it. */
  readonly actsOnNicknames: boolean;
  /** Emits `teamspeak:connected`, `teamspeak:disconnected`, `teamspeak:flooding`. */
  readonly events: EventEmitter<TeamspeakEvents>;
  /** Holds the password: private, so that logging the target cannot leak it. */
  readonly #options: ResolvedTeamspeakOptions;
  /** Client database ids the server said do not exist: never valid again (ids are not reused). */
  readonly #unknownClients = new Set<string>();
  private readonly connection: TeamspeakConnection;
  private readonly logger: Logger | undefined;
  private readonly messenger: NicknameMessenger;
  private missing: string[] = [];
  private permissionError: string | null = null;
  /** Permission names by the server's numeric ids, learned by the check: errors name them. */
  private permissionNames: ReadonlyMap<number, string> = new Map();
  private permissionTimer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(options: TeamspeakTargetOptions, logger?: Logger) {
    this.#options = resolveTeamspeakOptions(options);
    this.name = options.name;
    this.actsOnNicknames = this.#options.messageNicknames;
    const bound = logger?.bindings() ?? {};
    this.logger =
      bound['target'] === undefined ? logger?.child({ platform: 'teamspeak', target: options.name }) : logger;
    this.connection = new TeamspeakConnection(this.#options, () => this.checkPermissions(), this.logger);
    this.events = this.connection;
    this.messenger = new NicknameMessenger(
      this.#options.nicknameMessageIntervalMs,
      this.#options.nicknameMessage,
    );
  }

  start(): Promise<void> {
    const every = this.#options.permissionCheckMs;
    if (every > 0 && !this.permissionTimer) {
      // Again every few minutes while connected, so a grant clears the report without a restart.
      this.permissionTimer = setInterval(() => {
        if (this.connection.connected) void this.checkPermissions();
      }, every);
      this.permissionTimer.unref();
    }
    return this.connection.start();
  }

  stop(): Promise<void> {
    if (this.permissionTimer) clearInterval(this.permissionTimer);
    this.permissionTimer = null;
    return this.connection.stop();
  }

  /** Runs the permission check now (it also runs on each connect and every `permissionCheckMs`). */
  recheckPermissions(): Promise<void> {
    return this.checkPermissions();
  }

  status(): TargetStatus {
    return {
      connected: this.connection.connected,
      lastError: this.connection.lastError ?? this.permissionError,
      missingPermissions: [...this.missing],
    };
  }

  callsIssued(): number {
    return this.connection.commandsSent;
  }

  rateLimits(): RateLimitCounts {
    return { waits: 0, waitedMs: 0, refused: this.connection.floodWarnings };
  }

  async listGroups(): Promise<PlatformGroup[]> {
    const entries = await this.exec('servergrouplist');
    return entries
      .filter((e) => Number(e['type']) === 1)
      .map((e) => ({ id: String(e['sgid']), name: String(e['name'] ?? '') }));
  }

  async createGroup(name: string): Promise<PlatformGroup> {
    checkName(name);
    try {
      const [entry] = await this.exec('servergroupadd', { name, type: 1 });
      if (entry?.['sgid'] === undefined)
        throw new Error(`servergroupadd "${name}": the server returned no sgid`);
      return { id: String(entry['sgid']), name };
    } catch (err) {
      if (errorId(err) !== QueryErrorId.duplicateEntryDb) throw err;
      throw new TeamspeakCommandError(
        'servergroupadd',
        QueryErrorId.duplicateEntryDb,
        `a server group named "${name}" already exists on ${this.name}`,
        { cause: err },
      );
    }
  }

  async renameGroup(groupId: string, name: string): Promise<void> {
    checkName(name);
    await this.exec('servergrouprename', { sgid: groupId, name });
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.exec('servergroupdel', { sgid: groupId, force: 1 });
  }

  /**
   * A group id the server does not know is left out of `members` (and logged), not an error. With
   * a scope, the groups it names are listed whole; its accounts are read one
   * `servergroupsbyclientid` each when that is fewer commands than listing the other groups.
   */
  async observe(groupIds: readonly string[], scope?: ObserveScope): Promise<ObservedMembers> {
    const ids = [...new Set(groupIds)];
    const whole = scope ? new Set(scope.wholeGroupIds) : null;
    const rest = whole ? ids.filter((id) => !whole.has(id)) : [];
    const clients = scope ? [...new Set(scope.accountIds)].filter((id) => /^\d+$/.test(id)) : [];
    const byClient = scope !== undefined && clients.length < rest.length;
    const members = new Map<string, Set<string>>();
    for (const sgid of byClient ? ids.filter((id) => whole!.has(id)) : ids) {
      const list = await this.groupMembers(sgid);
      if (list) members.set(sgid, list);
    }
    if (byClient) {
      for (const sgid of rest) members.set(sgid, new Set());
      for (const cldbid of clients)
        for (const sgid of await this.groupsOfClient(cldbid)) members.get(sgid)?.add(cldbid);
    }
    const nicknames = new Map<string, string | null>();
    // A scoped run reads nicknames only when it may act on them (messages about a wrong nickname).
    if (!scope || this.#options.messageNicknames) {
      for (const client of await listOnlineClients(this.exec.bind(this)))
        nicknames.set(client.clientDbId, client.nickname);
    }
    return { members, nicknames };
  }

  /** Members of one server group; null when the group no longer exists. */
  private async groupMembers(sgid: string): Promise<Set<string> | null> {
    try {
      const entries = await this.exec('servergroupclientlist', { sgid });
      return new Set(entries.filter((e) => e['cldbid'] !== undefined).map((e) => String(e['cldbid'])));
    } catch (err) {
      const id = errorId(err);
      if (id === QueryErrorId.emptyResult) return new Set();
      if (id !== QueryErrorId.invalidGroupId) throw err;
      this.logger?.warn({ sgid }, 'managed server group no longer exists');
      return null;
    }
  }

  /** Server group ids of one client; none for a client with no groups or not in the database. */
  private async groupsOfClient(cldbid: string): Promise<string[]> {
    try {
      const entries = await this.exec('servergroupsbyclientid', { cldbid });
      return entries.filter((e) => e['sgid'] !== undefined).map((e) => String(e['sgid']));
    } catch (err) {
      const id = errorId(err);
      if (id === QueryErrorId.emptyResult || id === QueryErrorId.invalidClientId) return [];
      throw err;
    }
  }

  /**
   * The client's server groups now (`clientdbinfo`, `servergroupsbyclientid`, `servergrouplist`)
   * and the grants the server would refuse: a client it does not know, a group it does not have.
   * TeamSpeak cannot rename a client, so a nickname is never refused (Roster only asks).
   */
  async inspectAccount(
    accountId: string,
    grant: { readonly groupIds: readonly string[]; readonly nickname: string | null },
  ): Promise<AccountInspection> {
    const groups = new Map((await this.listGroups()).map((g) => [g.id, g]));
    let nickname: string | null = null;
    let present = /^\d+$/.test(accountId);
    if (present) {
      try {
        const [entry] = await this.exec('clientdbinfo', { cldbid: accountId });
        nickname = entry?.['clientNickname'] === undefined ? null : String(entry['clientNickname']);
      } catch (err) {
        if (errorId(err) !== QueryErrorId.invalidClientId) throw err;
        present = false;
      }
    }
    const holds = present
      ? (await this.groupsOfClient(accountId)).map((id) => groups.get(id) ?? { id, name: id })
      : [];
    const refusals: Record<string, string> = {};
    for (const id of grant.groupIds) {
      if (holds.some((g) => g.id === id)) continue;
      if (!present) refusals[id] = 'no such client on the server (the link is stale: relink it)';
      else if (!groups.has(id)) refusals[id] = 'the server group no longer exists on the server';
    }
    return { present, nickname, holds, refusals, nicknameRefusal: null };
  }

  /** One command per `maxIdsPerCommand` clients of each group's adds and removes, one per nickname message. */
  estimateApplyCalls(batch: ApplyBatch): number {
    const per = Math.max(1, this.#options.maxIdsPerCommand);
    let calls = 0;
    for (const change of [...batch.adds, ...batch.removes])
      calls += Math.ceil(change.accountIds.length / per);
    if (this.#options.messageNicknames) calls += batch.nicknames.length;
    return calls;
  }

  async apply(batch: ApplyBatch): Promise<ApplyReport> {
    const log = this.logger?.child({ runId: batch.runId });
    const exec = this.exec.bind(this);
    let added = 0;
    let removed = 0;
    let nicknamesChanged = 0;
    const skipped: SkippedChange[] = [];
    const errors: string[] = [];
    try {
      const adds = await applyMembershipChanges(
        exec,
        'add',
        batch.adds,
        this.#options.maxIdsPerCommand,
        this.#unknownClients,
      );
      added = adds.done;
      skipped.push(...adds.skipped);
      errors.push(...adds.errors);
      const removes = await applyMembershipChanges(
        exec,
        'remove',
        batch.removes,
        this.#options.maxIdsPerCommand,
      );
      removed = removes.done;
      skipped.push(...removes.skipped);
      errors.push(...removes.errors);
      if (this.#options.messageNicknames && batch.nicknames.length > 0) {
        const messages = await this.messenger.notify(exec, batch.nicknames);
        nicknamesChanged = messages.messaged;
        skipped.push(...messages.skipped);
      }
    } catch (err) {
      errors.push(`stopped: ${describeError(err)}; the rest of the batch was not applied`);
    }
    if (errors.length > 0) log?.warn({ errors }, 'TeamSpeak batch applied with errors');
    log?.info({ added, removed, nicknamesChanged, skipped: skipped.length }, 'TeamSpeak batch applied');
    return { added, removed, nicknamesChanged, skipped, errors };
  }

  /** Online voice clients with their database and unique ids, from one `clientlist -uid` (for linking). */
  /** A private text message to each online client of the account (`sendtextmessage targetmode=1`). */
  async sendNotice(accountId: string, text: string): Promise<NoticeDelivery> {
    const exec = this.exec.bind(this);
    const clients = (await listOnlineClients(exec)).filter((c) => c.clientDbId === accountId);
    let sent = false;
    for (const client of clients) {
      try {
        await exec('sendtextmessage', { targetmode: 1, target: client.clientId, msg: text });
        sent = true;
      } catch (err) {
        const id = errorId(err);
        if (id === null) throw err;
        if (id === QueryErrorId.invalidClientId) continue; // left meanwhile
        return { status: 'refused', reason: describeError(err) };
      }
    }
    return sent ? { status: 'sent' } : { status: 'offline' };
  }

  /** The online voice clients with their ids (one `clientlist -uid`). */
  async listOnlineClients(): Promise<TeamspeakClientMatch[]> {
    const clients = await listOnlineClients(this.exec.bind(this), true);
    return clients.map((c) => ({ clientDbId: c.clientDbId, uniqueId: c.uniqueId, nickname: c.nickname }));
  }

  /**
   * Known clients (online or not) by unique id or by client database id, for links an admin
   * records: database ids in one piped `clientdbinfo` per 100, unique ids one
   * `clientgetdbidfromuid` each (the command takes one), or, for more than `uidLookupsBeforeList`
   * of them, by paging `clientdblist` (200 a page) until all are found. Unknown ones are absent.
   */
  async findKnownClients(query: {
    readonly uniqueIds: readonly string[];
    readonly clientDbIds: readonly string[];
  }): Promise<TeamspeakClientMatch[]> {
    const found: TeamspeakClientMatch[] = [];
    const dbIds = [...new Set(query.clientDbIds)].filter((id) => /^\d+$/.test(id));
    const describe = (entry: QueryEntry | undefined, cldbid: string) => {
      if (entry?.['clientUniqueIdentifier'] === undefined) return;
      found.push({
        clientDbId: String(entry['clientDatabaseId'] ?? cldbid),
        uniqueId: String(entry['clientUniqueIdentifier']),
        nickname: String(entry['clientNickname'] ?? ''),
      });
    };
    for (let i = 0; i < dbIds.length; i += 100) {
      const chunk = dbIds.slice(i, i + 100);
      try {
        const entries = await this.exec('clientdbinfo', { cldbid: chunk });
        chunk.forEach((cldbid, k) => describe(entries[k], cldbid));
        continue;
      } catch (err) {
        if (!isUnknownClient(err)) throw err;
      }
      // One unknown id refuses the whole piped call: ask each of this chunk alone.
      for (const cldbid of chunk) {
        try {
          describe((await this.exec('clientdbinfo', { cldbid }))[0], cldbid);
        } catch (err) {
          if (!isUnknownClient(err)) throw err;
        }
      }
    }
    const uids = new Set(query.uniqueIds);
    if (uids.size <= this.#options.uidLookupsBeforeList) {
      for (const cluid of uids) {
        try {
          const [entry] = await this.exec('clientgetdbidfromuid', { cluid });
          if (entry?.['cldbid'] !== undefined)
            found.push({ clientDbId: String(entry['cldbid']), uniqueId: cluid, nickname: '' });
        } catch (err) {
          if (!isUnknownClient(err)) throw err;
        }
      }
      return found;
    }
    for (let start = 0; uids.size > 0; start += 200) {
      let page: QueryEntry[];
      try {
        page = await this.exec('clientdblist', { start, duration: 200 });
      } catch (err) {
        if (isUnknownClient(err)) break; // past the last page
        throw err;
      }
      if (page.length === 0) break;
      for (const entry of page) {
        const uid = String(entry['clientUniqueIdentifier'] ?? '');
        if (!uids.delete(uid)) continue;
        found.push({
          clientDbId: String(entry['cldbid']),
          uniqueId: uid,
          nickname: String(entry['clientNickname'] ?? ''),
        });
      }
      if (page.length < 200) break;
    }
    return found;
  }

  /**
   * Every client database id whose custom property `ident` is set, with its value, in one
   * `customsearch` matching any value (`%`): Alliance Auth keeps its own id of a user in the
   * `sso_uid` property that its privilege key set, and finds the client by it. None: empty.
   */
  async findClientsByCustomProperty(ident: string): Promise<{ clientDbId: string; value: string }[]> {
    try {
      const entries = await this.exec('customsearch', { ident, pattern: '%' });
      return entries.flatMap((e) =>
        e['cldbid'] === undefined
          ? []
          : [{ clientDbId: String(e['cldbid']), value: String(e['value'] ?? '') }],
      );
    } catch (err) {
      if (isUnknownClient(err)) return [];
      throw err;
    }
  }

  private async exec(command: string, options?: QueryOptions, flags?: string[]): Promise<QueryEntry[]> {
    try {
      return await this.connection.exec(command, options, flags);
    } catch (err) {
      throw this.namePermission(command, err);
    }
  }

  /**
   * The server names a denied permission by number (`failed_permid=8482`): say its name, and check
   * the permissions again (it was granted at the last check, or revoked since).
   */
  private namePermission(command: string, err: unknown): unknown {
    if (errorId(err) !== QueryErrorId.insufficientPermissions) return err;
    const permid = Number((err as { cause?: { failedPermid?: unknown } }).cause?.failedPermid);
    if (!Number.isInteger(permid)) return err;
    if (command !== 'permget') void this.checkPermissions();
    const name = this.permissionNames.get(permid);
    const what = name ? describePermission(name) : `the permission with id ${permid} (not one Roster checks)`;
    return new TeamspeakCommandError(
      command,
      QueryErrorId.insufficientPermissions,
      `insufficient client permissions: the query account lacks ${what}`,
      { cause: err },
    );
  }

  /** Runs after each (re)connect and every `permissionCheckMs`; never throws; one at a time. */
  private checkPermissions(): Promise<void> {
    this.checking ??= this.runPermissionCheck().finally(() => (this.checking = null));
    return this.checking;
  }

  private async runPermissionCheck(): Promise<void> {
    try {
      const check = await checkPermissions(this.exec.bind(this));
      const before = this.missing.join(',');
      this.missing = check.missing;
      this.permissionNames = new Map([...this.permissionNames, ...check.names]);
      this.permissionError = null;
      if (before && this.missing.length === 0)
        this.logger?.info('TeamSpeak query account now has every permission Roster needs');
      // Logged when it changes, not at every periodic check.
      if (this.missing.length > 0 && this.missing.join(',') !== before) {
        this.logger?.warn(
          { missingPermissions: this.missing },
          `TeamSpeak query account lacks permissions: ${describeMissing(this.missing)}`,
        );
      }
    } catch (err) {
      this.permissionError = `permission check failed: ${describeError(err)}`;
      this.logger?.warn({ error: describeError(err) }, 'TeamSpeak permission check failed');
    }
  }
}

/** The server's answers for a client it does not know. */
function isUnknownClient(err: unknown): boolean {
  const id = errorId(err);
  return (
    id === QueryErrorId.invalidClientId ||
    id === QueryErrorId.emptyResult ||
    id === QueryErrorId.emptyResultSet
  );
}

function checkName(name: string): void {
  const length = [...name].length;
  if (length === 0 || name.trim() === '')
    throw new RangeError('a TeamSpeak server group name cannot be empty');
  if (length > TEAMSPEAK_NAME_MAX_LENGTH) {
    throw new RangeError(
      `TeamSpeak server group names have at most ${TEAMSPEAK_NAME_MAX_LENGTH} characters; "${name}" has ${length}`,
    );
  }
}

export function createTeamspeakTarget(options: TeamspeakTargetOptions, logger?: Logger): TeamspeakTarget {
  return new TeamspeakTarget(options, logger);
}
