import { failingClause, type GroupRule, type RuleFacts } from './group-rule.ts';
import { ADMIN, GUEST, type UserFacts } from './types.ts';

/**
 * How people get into a manual group:
 * - `closed`: only its leaders (and admins) add members (the behaviour of every group before);
 * - `open`: anyone eligible joins and leaves;
 * - `request`: the eligible ask, a leader approves or denies;
 * - `hidden`: not listed; the eligible join through a link a leader shares.
 */
export const joinPolicies = ['closed', 'open', 'request', 'hidden'] as const;
export type JoinPolicy = (typeof joinPolicies)[number];

/** Who leads a group besides its owner: users, or every member of another group. */
export interface GroupLeadership {
  readonly ownerId: string | null;
  readonly leaderUserIds: readonly string[];
  readonly leaderGroupIds: readonly string[];
}

/** Leaders run a group: its owner, its leader users, and the members of its leader groups. */
export function leads(
  userId: string,
  group: GroupLeadership,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
): boolean {
  if (group.ownerId !== null && group.ownerId === userId) return true;
  if (group.leaderUserIds.includes(userId)) return true;
  const mine = groupsOfUser.get(userId);
  return group.leaderGroupIds.some((id) => mine?.has(id) ?? false);
}

/** Leaders and admins manage members and answer requests; nobody else does. */
export function mayRunGroup(actor: { userId: string; clearanceLevel: number }, isLeader: boolean): boolean {
  if (actor.clearanceLevel <= GUEST) return false;
  return isLeader || actor.clearanceLevel >= ADMIN;
}

export type JoinWay = 'join' | 'request' | 'link';

export type JoinRefusal =
  | { readonly code: 'not-manual'; readonly message: string }
  | { readonly code: 'guest'; readonly message: string }
  | { readonly code: 'policy'; readonly message: string }
  | { readonly code: 'not-eligible'; readonly message: string }
  | { readonly code: 'already-member'; readonly message: string };

export interface JoinCase {
  readonly group: {
    readonly name: string;
    readonly kind: string;
    readonly joinPolicy: JoinPolicy;
    readonly eligibility: GroupRule | null;
  };
  readonly user: UserFacts;
  readonly way: JoinWay;
  readonly isMember: boolean;
  readonly facts: RuleFacts;
}

/** Which way each policy lets people in by themselves (closed: none). */
const wayOf: Record<JoinPolicy, JoinWay | null> = {
  closed: null,
  open: 'join',
  request: 'request',
  hidden: 'link',
};

/**
 * May this user get into the group this way (join it, ask for it, follow its link)? Null when
 * yes; otherwise the refusal, with a sentence that says what to do instead. A link is checked
 * by the caller (it is a secret); here `link` means a valid one was shown.
 */
export function joinRefusal(c: JoinCase): JoinRefusal | null {
  const { group } = c;
  if (group.kind !== 'manual')
    return {
      code: 'not-manual',
      message: `"${group.name}" is built by Roster (${group.kind} group): nobody joins it by hand`,
    };
  if (c.user.clearanceLevel <= GUEST)
    return { code: 'guest', message: 'guests cannot join groups by themselves' };
  const allowed = wayOf[group.joinPolicy];
  if (allowed !== c.way) {
    const instead =
      allowed === null
        ? 'a leader adds members'
        : allowed === 'join'
          ? 'join it directly'
          : allowed === 'request'
            ? 'ask to join, a leader decides'
            : 'join through the link a leader shares';
    return { code: 'policy', message: `"${group.name}" is ${group.joinPolicy}: ${instead}` };
  }
  if (c.isMember) return { code: 'already-member', message: `already a member of "${group.name}"` };
  if (group.eligibility) {
    const failed = failingClause(group.eligibility, c.user, c.facts);
    if (failed)
      return {
        code: 'not-eligible',
        message: `not eligible for "${group.name}": ${failed.reason} (eligibility clause ${failed.path})`,
      };
  }
  return null;
}

/** Members leave a group by themselves only where they could have joined by themselves. */
export function mayLeaveByThemselves(group: { kind: string; joinPolicy: JoinPolicy }): boolean {
  return group.kind === 'manual' && group.joinPolicy !== 'closed';
}

/** Shown to whoever asks to see a group: hidden groups only to their leaders, members and admins. */
export function listedTo(
  group: { joinPolicy: JoinPolicy },
  viewer: { clearanceLevel: number; isLeader: boolean; isMember: boolean },
): boolean {
  return (
    group.joinPolicy !== 'hidden' || viewer.isLeader || viewer.isMember || viewer.clearanceLevel >= ADMIN
  );
}
