import { RESTJSONErrorCodes, Routes, type APIChannel, type APIGuildMember, type APIUser } from 'discord.js';
import type { Logger } from 'pino';
import type {
  AccountInspection,
  ApplyBatch,
  ApplyReport,
  NoticeDelivery,
  ObservedMembers,
  ObserveScope,
  PlatformTarget,
  TargetStatus,
  RateLimitCounts,
} from '../target.ts';
import type { DiscordAddMemberInput, DiscordOAuthPort } from '../../domain/link-ports.ts';
import { applyMemberEdits } from './apply-edits.ts';
import * as roles from './guild-roles.ts';
import {
  missingPermissions,
  addCreatedRole,
  permissionsOf,
  readBotRoles,
  readGuildHeader,
  readGuildSnapshot,
  topPosition,
  type GuildSnapshot,
  type MemberState,
} from './guild-snapshot.ts';
import { planMemberEdits } from './member-edits.ts';
import { createRefusalMemory } from './refusals.ts';
import * as oauth from './oauth.ts';
import {
  AUDIT_REASON_MAX,
  resolveDiscordOptions,
  type DiscordTargetOptions,
  type ResolvedDiscordOptions,
} from './options.ts';
import { describeError, discordCode, DiscordRest, isRetryable, type RateLimitStats } from './rest-client.ts';

/** An OAuth2 input whose client id and secret default to the target's options. */
export type WithClient<T> = Omit<T, 'clientId' | 'clientSecret'> & {
  clientId?: string;
  clientSecret?: string;
};

/**
 * One Discord guild as a reconciler target, through discord.js's REST client, and the port of
 * its OAuth2 link steps.
 */
export class DiscordTarget implements PlatformTarget, DiscordOAuthPort {
  readonly platform = 'discord' as const;
  readonly name: string;
  readonly guildId: string;
  readonly actsOnNicknames: boolean;
  readonly #options: ResolvedDiscordOptions;
  readonly #api: DiscordRest;
  readonly #logger: Logger | undefined;
  #abort = new AbortController();
  #starting: Promise<void> | null = null;
  #botUserId: string | null = null;
  #snapshot: GuildSnapshot | null = null;
  /** Member edits Discord refused, held back until the member or the hierarchy changes. */
  readonly #refusals = createRefusalMemory();
  /**
   * The guild's roles, owner and the bot's place in the hierarchy as of the last full read (or the
   * start-up check): what a scoped observation reuses so that it costs one GET per member only.
   */
  #header: Omit<GuildSnapshot, 'members' | 'pages'> | null = null;
  /** Member-list pages the last full read took: a scoped read of more members than this lists instead. */
  #pages = 1;
  readonly #status = {
    connected: false,
    lastError: null as string | null,
    missingPermissions: [] as string[],
  };

  constructor(options: DiscordTargetOptions, logger?: Logger) {
    this.#options = resolveDiscordOptions(options);
    this.actsOnNicknames = this.#options.setNicknames;
    this.name = options.name;
    this.guildId = options.guildId;
    this.#logger = logger;
    this.#api = new DiscordRest(this.#options, logger);
  }

  /** Reads the bot's user, the guild and the bot's roles; records missing permissions. Never throws. */
  start(): Promise<void> {
    this.#starting ??= this.#check();
    return this.#starting;
  }

  /** Aborts requests in flight and stops the REST client's timers. Safe to call twice. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#starting = null;
    this.#api.close();
    this.#status.connected = false;
  }

  status(): TargetStatus {
    return {
      ...this.#status,
      missingPermissions: [...this.#status.missingPermissions],
      refusedMembers: this.#refusals.list().size,
    };
  }

  callsIssued(): number {
    return this.#api.calls();
  }

  rateLimits(): RateLimitCounts {
    const stats = this.#api.stats();
    return { waits: stats.waits, waitedMs: stats.waitedMs, refused: stats.received429 };
  }

  /** Requests issued per `METHOD /route/:id` since the target was created. */
  callsByRoute(): Record<string, number> {
    return this.#api.callsByRoute();
  }

  rateLimitStats(): RateLimitStats {
    return this.#api.stats();
  }

  /** The last observation (full role lists of every member), kept for apply. */
  lastSnapshot(): GuildSnapshot | null {
    return this.#snapshot;
  }

  listGroups(): Promise<roles.DiscordRole[]> {
    return this.#track(() => roles.listRoles(this.#roleOps()));
  }

  /** `reason` (the run's, e.g. `Roster sync run <id>`) heads the audit-log reason; default names the target. */
  createGroup(name: string, reason?: string): Promise<roles.DiscordRole> {
    return this.#track(async () => {
      const role = await roles.createRole(this.#roleOps(reason), name);
      // A run observes before it creates (a refused run must create nothing): the role joins the
      // observation that apply will compute role lists and the hierarchy against.
      // The header of the last full read (scoped reads use it) shares the snapshot's role map.
      const view = this.#snapshot ?? this.#header;
      if (view) {
        addCreatedRole(view, {
          id: role.id,
          name: role.name,
          position: role.position,
          managed: role.managed,
          permissions: BigInt(this.#options.rolePermissions),
        });
        if (this.#header) this.#header.botTopPosition = view.botTopPosition;
      }
      return role;
    });
  }

  renameGroup(groupId: string, name: string, reason?: string): Promise<void> {
    return this.#track(() => roles.renameRole(this.#roleOps(reason), groupId, name));
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.#track(() => roles.deleteRole(this.#roleOps(), groupId));
  }

  /**
   * Reads every guild member once (1000 per page) and keeps their full role lists for apply. A
   * scope of members only (no whole role: Discord has no route listing one role's members) is read
   * with one `GET /guilds/{id}/members/{user}` each, when that is fewer requests than the list.
   */
  async observe(groupIds: readonly string[], scope?: ObserveScope): Promise<ObservedMembers> {
    const scoped =
      scope !== undefined &&
      scope.wholeGroupIds.length === 0 &&
      this.#header !== null &&
      scope.accountIds.length <= this.#pages;
    const snapshot = await this.#track(async () =>
      scoped ? this.#readMembers(scope.accountIds) : this.#readGuild(),
    );
    this.#snapshot = snapshot;
    const members = new Map(groupIds.map((id) => [id, new Set<string>()] as const));
    const nicknames = new Map<string, string | null>();
    for (const [userId, member] of snapshot.members) {
      nicknames.set(userId, member.nick);
      for (const roleId of member.roles) members.get(roleId)?.add(userId);
    }
    this.#logger?.debug({ members: snapshot.members.size, pages: snapshot.pages }, 'discord: observed guild');
    return { members, nicknames };
  }

  async #readGuild(): Promise<GuildSnapshot> {
    const snapshot = await readGuildSnapshot(
      this.#api,
      this.guildId,
      await this.#botId(),
      this.#abort.signal,
    );
    this.#status.missingPermissions = missingPermissions(snapshot.botPermissions, this.#options.setNicknames);
    const { members: _members, pages, ...header } = snapshot;
    this.#header = header;
    this.#pages = Math.max(1, pages);
    return snapshot;
  }

  /** The given members (absent ones left out), against the header of the last full read. */
  async #readMembers(userIds: readonly string[]): Promise<GuildSnapshot> {
    const header = this.#header!;
    const signal = this.#abort.signal;
    const members = new Map<string, MemberState>();
    for (const userId of new Set(userIds)) {
      const route = Routes.guildMember(this.guildId, userId);
      try {
        const member = (await this.#api.withBackoff(
          () => this.#api.rest.get(route, { signal }),
          signal,
        )) as APIGuildMember;
        members.set(userId, { roles: member.roles, nick: member.nick ?? null });
      } catch (error) {
        if (discordCode(error) !== RESTJSONErrorCodes.UnknownMember) throw error;
      }
    }
    return { ...header, members, pages: 0 };
  }

  /**
   * The member's roles now (one GET guild, one GET of the bot, one GET of the member), and the
   * grants Discord would refuse, by the rules apply skips by (hierarchy, managed roles, owner).
   */
  inspectAccount(
    accountId: string,
    grant: { readonly groupIds: readonly string[]; readonly nickname: string | null },
  ): Promise<AccountInspection> {
    return this.#track(async () => {
      const signal = this.#abort.signal;
      const botUserId = await this.#botId();
      const header = await readGuildHeader(this.#api, this.guildId, botUserId, signal);
      const snapshot: GuildSnapshot = {
        guildId: this.guildId,
        ownerId: header.ownerId,
        botUserId,
        roles: header.roles,
        members: new Map(),
        botTopPosition: topPosition(header.roles, header.botRoles),
        botPermissions: permissionsOf(header.roles, this.guildId, header.botRoles),
        pages: 0,
      };
      try {
        const route = Routes.guildMember(this.guildId, accountId);
        const member = (await this.#api.withBackoff(
          () => this.#api.rest.get(route, { signal }),
          signal,
        )) as APIGuildMember;
        snapshot.members.set(accountId, { roles: member.roles, nick: member.nick ?? null });
      } catch (error) {
        if (discordCode(error) !== RESTJSONErrorCodes.UnknownMember) throw error;
      }
      const member = snapshot.members.get(accountId);
      const wanted = grant.groupIds.filter((id) => !member?.roles.includes(id));
      const { skipped } = planMemberEdits(
        snapshot,
        {
          runId: 'explain',
          adds: wanted.map((groupId) => ({ groupId, accountIds: [accountId] })),
          removes: [],
          nicknames: grant.nickname === null ? [] : [{ accountId, nickname: grant.nickname }],
          reason: '',
        },
        this.#options.setNicknames,
      );
      const refusals: Record<string, string> = {};
      let nicknameRefusal: string | null = null;
      for (const s of skipped) {
        if (s.groupId === undefined) nicknameRefusal = s.reason;
        else refusals[s.groupId] = s.reason;
      }
      return {
        present: member !== undefined,
        nickname: member?.nick ?? null,
        holds: (member?.roles ?? []).map((id) => ({ id, name: header.roles.get(id)?.name ?? id })),
        refusals,
        nicknameRefusal,
      };
    });
  }

  /** One PATCH per changed member with its full new role list (and nickname), within Discord's limits. */
  async apply(batch: ApplyBatch): Promise<ApplyReport> {
    if (!this.#snapshot) await this.observe([]);
    const snapshot = this.#snapshot;
    if (!snapshot) throw new Error('discord: no observation to apply against');
    const plan = this.#refusals.hold(snapshot, planMemberEdits(snapshot, batch, this.#options.setNicknames));
    const log = this.#logger?.child({ runId: batch.runId });
    log?.info({ edits: plan.edits.length, skipped: plan.skipped.length }, 'discord: applying');
    const report = await applyMemberEdits(
      {
        api: this.#api,
        snapshot,
        reason: batch.reason.slice(0, AUDIT_REASON_MAX),
        concurrency: this.#options.concurrency,
        maxConsecutiveFailures: this.#options.maxConsecutiveFailures,
        signal: this.#abort.signal,
        ...(log ? { logger: log } : {}),
      },
      plan,
    );
    if (report.errors.length > 0) this.#status.lastError = report.errors.at(-1) ?? null;
    this.#refusals.learn(snapshot, report.skipped, new Date());
    return report;
  }

  /** The OAuth2 consent URL for the link flow (scopes `identify guilds.join`). */
  authorizeUrl(input: WithClient<oauth.AuthorizeUrlInput>): string {
    return oauth.authorizeUrl(this.#options.apiBaseUrl, { ...input, clientId: this.#client(input).clientId });
  }

  /** Exchanges a single-use code (never retried); throws PlatformRefusedError when Discord refuses it. */
  exchangeCode(input: WithClient<oauth.ExchangeCodeInput>): Promise<oauth.DiscordOAuthTokens> {
    return oauth.exchangeCode(this.#api, { ...input, ...this.#client(input) });
  }

  fetchCurrentUser(accessToken: string): Promise<oauth.DiscordUser> {
    return oauth.fetchCurrentUser(this.#api, accessToken);
  }

  /** Adds a linked user with roles and nickname in one PUT: `added` (201) or `alreadyMember` (204). */
  addGuildMember(input: DiscordAddMemberInput): Promise<oauth.AddGuildMemberResult> {
    return oauth.addGuildMember(this.#api, {
      guildId: this.guildId,
      userId: input.userId,
      accessToken: input.accessToken,
      roles: input.roles,
      nick: this.#options.setNicknames ? input.nick : null,
      reason: this.#reason('link account'),
    });
  }

  #client(input: { clientId?: string; clientSecret?: string }): { clientId: string; clientSecret: string } {
    const clientId = input.clientId ?? this.#options.oauthClientId;
    const clientSecret = input.clientSecret ?? this.#options.oauthClientSecret;
    if (!clientId) throw new Error(`discord target ${this.name}: no OAuth2 client id configured`);
    return { clientId, clientSecret };
  }

  async #check(): Promise<void> {
    try {
      const header = await readGuildHeader(this.#api, this.guildId, await this.#botId(), this.#abort.signal);
      const perms = permissionsOf(header.roles, this.guildId, header.botRoles);
      this.#status.missingPermissions = missingPermissions(perms, this.#options.setNicknames);
      this.#header ??= {
        guildId: this.guildId,
        ownerId: header.ownerId,
        botUserId: await this.#botId(),
        roles: header.roles,
        botTopPosition: topPosition(header.roles, header.botRoles),
        botPermissions: perms,
      };
      this.#status.connected = true;
      this.#status.lastError = null;
      if (this.#status.missingPermissions.length > 0) {
        this.#logger?.warn({ missing: this.#status.missingPermissions }, 'discord: bot lacks permissions');
      }
    } catch (error) {
      this.#status.connected = false;
      this.#status.lastError = describeError(error);
      this.#starting = null;
      this.#logger?.warn({ err: this.#status.lastError }, 'discord: start-up check failed');
    }
  }

  /**
   * A DM through the bot: opens (or reuses) the DM channel, then posts the message once (never
   * retried blindly: a lost answer must not send it twice). A member who accepts no DMs from the
   * guild's members is a refusal, not an error.
   */
  async sendNotice(accountId: string, text: string): Promise<NoticeDelivery> {
    const signal = this.#abort.signal;
    return this.#track(async () => {
      try {
        const channel = (await this.#api.withBackoff(
          () => this.#api.rest.post(Routes.userChannels(), { body: { recipient_id: accountId }, signal }),
          signal,
        )) as APIChannel;
        await this.#api.restOnce.post(Routes.channelMessages(channel.id), {
          body: { content: text.slice(0, 2000), allowed_mentions: { parse: [] } },
          signal,
        });
        return { status: 'sent' } as const;
      } catch (error) {
        const code = discordCode(error);
        if (
          code === RESTJSONErrorCodes.CannotSendMessagesToThisUser ||
          code === RESTJSONErrorCodes.UnknownUser ||
          code === 50033
        )
          return { status: 'refused', reason: describeError(error) } as const;
        throw error;
      }
    });
  }

  async #botId(): Promise<string> {
    if (!this.#botUserId) {
      const signal = this.#abort.signal;
      const me = (await this.#api.withBackoff(
        () => this.#api.rest.get(Routes.user(), { signal }),
        signal,
      )) as APIUser;
      this.#botUserId = me.id;
    }
    return this.#botUserId;
  }

  #roleOps(runReason?: string): roles.RoleOpsContext {
    return {
      api: this.#api,
      guildId: this.guildId,
      signal: this.#abort.signal,
      rolePermissions: this.#options.rolePermissions,
      retries: this.#options.backoffRetries,
      ...(this.#logger ? { logger: this.#logger } : {}),
      reason: (what) => (runReason ? `${runReason}: ${what}`.slice(0, AUDIT_REASON_MAX) : this.#reason(what)),
      botTopPosition: async (guildRoles) => {
        // The last observation's bot roles save a call, but their positions are taken from the fresh
        // list: roles made or moved since then shift the bot's position (and a stale one would hide
        // a role just under the bot from adoption, so it would be created twice).
        const snapshot = this.#snapshot;
        const botRoles =
          snapshot?.members.get(snapshot.botUserId)?.roles ??
          (await readBotRoles(this.#api, this.guildId, await this.#botId(), this.#abort.signal));
        return topPosition(guildRoles, botRoles);
      },
    };
  }

  #reason(what: string): string {
    return `Roster (${this.name}): ${what}`.slice(0, AUDIT_REASON_MAX);
  }

  /** Runs a platform call and keeps status() up to date (an outage sets lastError). */
  async #track<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.#status.connected = true;
      return result;
    } catch (error) {
      if (isRetryable(error)) {
        this.#status.connected = false;
        this.#status.lastError = describeError(error);
      }
      throw error;
    }
  }
}

export function createDiscordTarget(options: DiscordTargetOptions, logger?: Logger): DiscordTarget {
  return new DiscordTarget(options, logger);
}
