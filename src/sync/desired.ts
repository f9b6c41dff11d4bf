import {
  allianceIdOf,
  loginDecision,
  tickeredName,
  truncateName,
  uniqueTruncatedNames,
  type Directory,
  type LoginDecision,
} from '../domain/index.ts';
import type { DesiredGroup } from './plan.ts';
import type { Platform } from './target.ts';

/** Name limits of the platforms, in characters. */
export const nameLimits = {
  teamspeak: { group: 30, nickname: 30 },
  discord: { group: 100, nickname: 32 },
} as const satisfies Record<Platform, { group: number; nickname: number }>;

export interface MappingFacts {
  readonly id: string;
  readonly groupId: string;
  readonly platformGroupId: string | null;
  readonly displayName: string | null;
  readonly mode: 'managed' | 'grantOnly';
}

export interface DesiredState {
  readonly groups: DesiredGroup[];
  readonly nicknames: Map<string, string>;
  /** Every user's login decision, for explain(). */
  readonly login: Map<string, LoginDecision>;
}

/**
 * What the target should look like: for every mapped group, the linked accounts of its members
 * who may log in; for every linked account of someone who may log in, their tickered name.
 * `accountOf` gives a user's account on this target (null when not linked).
 */
export function desiredState(
  platform: Platform,
  dir: Directory,
  mappings: readonly MappingFacts[],
  accountOf: ReadonlyMap<string, string>,
  membersOf: ReadonlyMap<string, readonly string[]>,
  /** groupId -> members who may no longer log in but keep that group until their notice runs out. */
  heldByNotice: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): DesiredState {
  const limits = nameLimits[platform];
  const login = new Map<string, LoginDecision>();
  const decide = (userId: string) => {
    let decision = login.get(userId);
    if (!decision) {
      const user = dir.users.get(userId);
      decision = user ? loginDecision(user, dir) : { allowed: false, reason: 'not-authorized' };
      login.set(userId, decision);
    }
    return decision;
  };

  const names = uniqueTruncatedNames(
    mappings.map((m) => ({ key: m.id, name: m.displayName ?? dir.groups.get(m.groupId)?.name ?? m.groupId })),
    limits.group,
  );
  // Each linked user is decided once; the membership loops below are then one lookup per member.
  const allowedAccount = new Map<string, string>();
  for (const [userId, account] of accountOf) if (decide(userId).allowed) allowedAccount.set(userId, account);
  const groups: DesiredGroup[] = mappings.map((m) => {
    const members = new Set<string>();
    const held = heldByNotice.get(m.groupId);
    for (const userId of membersOf.get(m.groupId) ?? []) {
      const account = allowedAccount.get(userId) ?? (held?.has(userId) ? accountOf.get(userId) : undefined);
      if (account !== undefined) members.add(account);
    }
    return {
      mappingId: m.id,
      groupId: m.groupId,
      groupName: dir.groups.get(m.groupId)?.name ?? m.groupId,
      displayName: names.get(m.id)!,
      platformGroupId: m.platformGroupId,
      mode: m.mode,
      members,
    };
  });

  const nicknames = new Map<string, string>();
  for (const [userId, account] of allowedAccount) {
    const user = dir.users.get(userId);
    if (!user) continue;
    const corporation = user.corporationId === null ? undefined : dir.corporations.get(user.corporationId);
    const allianceId = allianceIdOf(user.corporationId, dir);
    const alliance = allianceId === null ? undefined : dir.alliances.get(allianceId);
    nicknames.set(account, truncateName(tickeredName(user, corporation, alliance), limits.nickname));
  }
  return { groups, nicknames, login };
}
