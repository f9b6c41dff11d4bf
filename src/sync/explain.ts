import type { EntityManager } from '@mikro-orm/core';
import { affiliationOf, type Affiliation, type Directory, type LoginDecision } from '../domain/index.ts';
import { NotFoundError } from '../domain/errors.ts';
import { desiredState, type MappingFacts } from './desired.ts';
import { loadSyncInputs } from './inputs.ts';
import type { Platform } from './target.ts';

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
    if (!isMember) [reason, detail] = ['not-a-member', `not a member of ${g.groupName}`];
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

export async function explain(
  em: EntityManager,
  userId: string,
  platform: Platform,
  target: string,
  removalGraceMs = 0,
): Promise<{ affiliation: Affiliation; groups: GroupExplanation[] }> {
  const inputs = await loadSyncInputs(em, platform, target);
  const user = inputs.dir.users.get(userId);
  if (!user) throw new NotFoundError('user', userId);
  return {
    affiliation: affiliationOf(user, inputs.dir),
    groups: explainUser(
      userId,
      platform,
      inputs.dir,
      inputs.mappings,
      inputs.accountOf,
      inputs.membersOf,
      inputs.pendingRemovals,
      removalGraceMs,
    ),
  };
}
