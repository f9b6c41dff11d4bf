import type { EntityManager } from '@mikro-orm/core';
import {
  affiliationOf,
  failingClause,
  parseRule,
  type Affiliation,
  type Directory,
  type LoginDecision,
} from '../domain/index.ts';
import { NotFoundError } from '../domain/errors.ts';
import { desiredState, type MappingFacts } from './desired.ts';
import { SyncRun } from '../store/entities/index.ts';
import { loadSyncInputs } from './inputs.ts';
import type { AccountInspection, Platform, PlatformTarget } from './target.ts';

export type ExplainReason =
  'member' | 'not-a-member' | 'not-linked' | 'login-not-authorized' | 'removal-held';

export interface GroupExplanation {
  readonly groupId: string;
  readonly groupName: string;
  readonly displayName: string;
  readonly platformGroupId: string | null;
  readonly mode: 'managed' | 'grantOnly';
  /** Should the user's account be in this platform group? */
  readonly shouldHave: boolean;
  readonly reason: ExplainReason;
  /** A sentence for people: "login denied by corporation ABC", "removal held until ...". */
  readonly detail: string;
  /**
   * What the last run of the target skipped for this account in this group, and why (Discord
   * refused the edit: the member is the owner or above the bot); absent when nothing was skipped.
   */
  readonly skipped?: string;
}

/**
 * "Why don't I have role X?": for each group mapped on the target, whether the user should have
 * it and, if not, the first reason why not. Pure; `explain()` below loads its inputs.
 */
export function explainUser(
  userId: string,
  platform: Platform,
  dir: Directory,
  mappings: readonly MappingFacts[],
  accountOf: ReadonlyMap<string, string>,
  membersOf: ReadonlyMap<string, readonly string[]>,
  pendingRemovals: ReadonlyMap<string, Date>,
  removalGraceMs: number,
): GroupExplanation[] {
  const desired = desiredState(platform, dir, mappings, accountOf, membersOf);
  const account = accountOf.get(userId) ?? null;
  const login: LoginDecision | undefined = desired.login.get(userId);
  return desired.groups.map((g): GroupExplanation => {
    const base = {
      groupId: g.groupId,
      groupName: g.groupName,
      displayName: g.displayName,
      platformGroupId: g.platformGroupId,
      mode: g.mode,
    };
    const isMember = (membersOf.get(g.groupId) ?? []).includes(userId);
    let reason: ExplainReason;
    let detail: string;
    if (!isMember) [reason, detail] = ['not-a-member', notMember(g.groupId, g.groupName, userId, dir)];
    else if (account === null)
      [reason, detail] = ['not-linked', `no ${platform} account linked on this target`];
    else if (login && !login.allowed) {
      reason = 'login-not-authorized';
      detail =
        login.reason === 'denied'
          ? `login denied by ${login.by}`
          : 'login not authorized (no authorization anywhere in the cascade)';
    } else return { ...base, shouldHave: true, reason: 'member', detail: `member of ${g.groupName}` };
    // The account may still hold the group while its removal waits out sync.removalGraceMinutes.
    const since =
      account && g.platformGroupId ? pendingRemovals.get(`${g.platformGroupId}/${account}`) : undefined;
    if (since && since.getTime() + removalGraceMs > Date.now()) {
      const until = new Date(since.getTime() + removalGraceMs).toISOString();
      return {
        ...base,
        shouldHave: false,
        reason: 'removal-held',
        detail: `${detail}; removal held until ${until}`,
      };
    }
    return { ...base, shouldHave: false, reason, detail };
  });
}

export interface Explanation {
  readonly affiliation: Affiliation;
  /** The user's account on the target; null when not linked. */
  readonly accountId: string | null;
  /** The nickname Roster wants the account to show; null when it wants none (not allowed, not linked). */
  readonly nickname: string | null;
  readonly groups: GroupExplanation[];
}

/** "not a member of X", and for a rule-built group the clause of its rule the user fails. */
function notMember(groupId: string, groupName: string, userId: string, dir: Directory): string {
  const stored = dir.groups.get(groupId)?.rule;
  const parsed = stored == null ? null : parseRule(stored);
  const user = dir.users.get(userId);
  const failed = parsed?.ok && user ? failingClause(parsed.rule, user, { dir, now: new Date() }) : null;
  return failed
    ? `not a member of ${groupName}: ${failed.reason} (rule clause ${failed.path})`
    : `not a member of ${groupName}`;
}

export async function explain(
  em: EntityManager,
  userId: string,
  platform: Platform,
  target: string,
  removalGraceMs = 0,
): Promise<Explanation> {
  const [inputs, lastRun] = await Promise.all([
    loadSyncInputs(em, platform, target, { userIds: [userId] }),
    em.findOne(SyncRun, { platform, target, dryRun: false }, { orderBy: { startedAt: 'desc' } }),
  ]);
  const user = inputs.dir.users.get(userId);
  if (!user) throw new NotFoundError('user', userId);
  const accountId = inputs.accountOf.get(userId) ?? null;
  const nickname =
    accountId === null
      ? null
      : (desiredState(platform, inputs.dir, [], new Map([[userId, accountId]]), new Map()).nicknames.get(
          accountId,
        ) ?? null);
  // What the last run skipped for this account (an edit Discord refused, held since), per group.
  const skipped = new Map(
    (lastRun?.skipped ?? []).flatMap((s) =>
      s.accountId === accountId && s.groupId ? [[s.groupId, s.reason] as const] : [],
    ),
  );
  const groups = explainUser(
    userId,
    platform,
    inputs.dir,
    inputs.mappings,
    inputs.accountOf,
    inputs.membersOf,
    inputs.pendingRemovals,
    removalGraceMs,
  );
  return {
    affiliation: affiliationOf(user, inputs.dir),
    accountId,
    nickname,
    groups: groups.map((g) => {
      const reason = g.platformGroupId ? skipped.get(g.platformGroupId) : undefined;
      return reason ? { ...g, skipped: reason } : g;
    }),
  };
}

/** What the user's account holds on the platform now, beside what the directory wants. */
export interface PlatformView {
  readonly accountId: string | null;
  readonly present: boolean | null;
  readonly nickname: string | null;
  /** The nickname Roster wants; with why the platform would refuse it, if it would. */
  readonly wantedNickname: string | null;
  readonly nicknameRefusal: string | null;
  /** Every platform group (role, server group) the account holds now, mapped here or not. */
  readonly holds: readonly { readonly id: string; readonly name: string; readonly mapped: boolean }[];
  /** Set when the platform could not be asked (then only the directory's side is known). */
  readonly error: string | null;
}

export interface GroupOnPlatform extends GroupExplanation {
  /** Does the account hold the platform group now? Null when unknown (not linked, not created, platform down). */
  readonly holdsNow: boolean | null;
  /** Why the platform will refuse the grant Roster would make; null when it would not. */
  readonly refusal: string | null;
}

/** Pure: the directory's explanation with the platform's view of the account joined in. */
export function joinPlatformView(
  explanation: Explanation,
  platform: Platform,
  inspection: AccountInspection | null,
  error: string | null,
): { account: PlatformView; groups: GroupOnPlatform[] } {
  const mapped = new Set(explanation.groups.flatMap((g) => (g.platformGroupId ? [g.platformGroupId] : [])));
  const groups = explanation.groups.map((g): GroupOnPlatform => {
    const holdsNow =
      inspection && g.platformGroupId ? inspection.holds.some((h) => h.id === g.platformGroupId) : null;
    const refusal =
      g.shouldHave && holdsNow === false && g.platformGroupId
        ? (inspection?.refusals[g.platformGroupId] ?? null)
        : null;
    return {
      ...g,
      holdsNow,
      refusal,
      detail: refusal ? `${g.detail}; ${platform} will refuse the grant: ${refusal}` : g.detail,
    };
  });
  return {
    account: {
      accountId: explanation.accountId,
      present: inspection?.present ?? null,
      nickname: inspection?.nickname ?? null,
      wantedNickname: explanation.nickname,
      nicknameRefusal: inspection?.nicknameRefusal ?? null,
      holds: (inspection?.holds ?? []).map((h) => ({ ...h, mapped: mapped.has(h.id) })),
      error,
    },
    groups,
  };
}

/**
 * explain() with the platform asked about the account (a few calls): what it holds now, and which
 * grants the platform will refuse. A platform that does not answer leaves the directory's side.
 */
export async function explainOnPlatform(
  explanation: Explanation,
  target: PlatformTarget,
): Promise<{ account: PlatformView; groups: GroupOnPlatform[] }> {
  if (explanation.accountId === null) return joinPlatformView(explanation, target.platform, null, null);
  const wanted = explanation.groups.flatMap((g) =>
    g.shouldHave && g.platformGroupId ? [g.platformGroupId] : [],
  );
  try {
    const inspection = await target.inspectAccount(explanation.accountId, {
      groupIds: wanted,
      nickname: target.actsOnNicknames ? explanation.nickname : null,
    });
    return joinPlatformView(explanation, target.platform, inspection, null);
  } catch (error) {
    const message = `${target.platform} target "${target.name}" could not be asked: ${(error as Error).message}`;
    return joinPlatformView(explanation, target.platform, null, message);
  }
}
