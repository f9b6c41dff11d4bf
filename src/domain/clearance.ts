import { distance, type Affiliation } from './affiliation.ts';
import { ADMIN, GUEST, SUPERUSER, ROOT_CHARACTER_ID, type ClearanceLevel } from './types.ts';

/**
 * Named rights. Relative rights compare the actor's level with the distance to the target
 * (0 same user, 1 same corporation, 3 same alliance, 5 same coalition, 7 anyone): reading needs
 * level >= distance, writing needs level >= distance + 1 (own data: level >= 0). Absolute rights
 * need a minimum level. Owner rights allow the target's owner, or anyone at the minimum level.
 * The README's clearance table is generated from this table.
 */
export const scopeRules = {
  'user.read': {
    kind: 'relative',
    access: 'read',
    doc: 'See a user, their links and groups (user lists show only these users), and the guests of a corporation or alliance.',
  },
  'user.write': { kind: 'relative', access: 'write', doc: "Unlink a user's platform accounts." },
  'user.setAuthorizedToLogin': {
    kind: 'relative',
    access: 'write',
    doc: "Set a user's login flag (never one's own).",
  },
  'user.setClearance': {
    kind: 'relative',
    access: 'write',
    doc: 'Change a clearance level (see the rules below).',
  },
  'user.add': {
    kind: 'relative',
    access: 'write',
    doc: "Add users by character id or exact name (read from ESI); relative to the character's corporation.",
  },
  'user.link': {
    kind: 'absolute',
    min: ADMIN,
    doc: "Set or clear a user's Discord account and TeamSpeak identities on their behalf.",
  },
  'user.listGuests': { kind: 'absolute', min: 2, doc: 'See guests in user listings.' },
  'user.delete': { kind: 'absolute', min: ADMIN, doc: 'Delete a user.' },
  'directory.read': { kind: 'absolute', min: 0, doc: 'List corporations, alliances, coalitions and groups.' },
  'corporation.guests': {
    kind: 'relative',
    access: 'write',
    doc: 'Invite or remove the guests of a corporation or alliance.',
  },
  'corporation.track': { kind: 'absolute', min: ADMIN, doc: 'Track a corporation or alliance from ESI.' },
  'corporation.update': {
    kind: 'absolute',
    min: ADMIN,
    doc: 'Login flag and mandatory scopes of corporations and alliances.',
  },
  'coalition.write': { kind: 'absolute', min: ADMIN, doc: 'Create, update and delete coalitions.' },
  'group.create': {
    kind: 'absolute',
    min: 1,
    doc: 'Create a manual or rule-built group (the creator owns it).',
  },
  'group.members': { kind: 'owner', min: ADMIN, doc: 'Add or remove members of a manual group.' },
  'group.update': { kind: 'owner', min: ADMIN, doc: "Edit a manual group's description and owner." },
  'group.map': { kind: 'absolute', min: ADMIN, doc: 'Map a group to a platform target, or unmap it.' },
  'group.delete': { kind: 'owner', min: ADMIN, doc: 'Delete a manual group.' },
  'group.join': {
    kind: 'absolute',
    min: 0,
    doc: 'Join, ask for or leave a manual group by its join policy (open, request, hidden by link) and eligibility; see the groups one may join.',
  },
  'group.lead': {
    kind: 'leader',
    min: ADMIN,
    doc: "Run a manual group: answer its join requests, add and remove members (with an end date), see its members' end dates, share its join link.",
  },
  'group.configure': {
    kind: 'owner',
    min: ADMIN,
    doc: "Set a manual group's join policy, eligibility and leaders, and a rule-built group's rule.",
  },
  'token.own': { kind: 'absolute', min: 0, doc: 'List, create and revoke one’s own tokens.' },
  'token.application': { kind: 'absolute', min: SUPERUSER, doc: 'Create long-lived application tokens.' },
  'link.own': { kind: 'absolute', min: 0, doc: 'Link and unlink one’s own TeamSpeak and Discord accounts.' },
  'sync.read': { kind: 'absolute', min: ADMIN, doc: 'See sync plans, runs and platform status.' },
  'sync.run': { kind: 'absolute', min: ADMIN, doc: 'Start a sync run now.' },
  'sync.force': { kind: 'absolute', min: SUPERUSER, doc: 'Force a run the blast-radius guard refused.' },
  'platform.deleteGroup': {
    kind: 'absolute',
    min: SUPERUSER,
    doc: 'Delete a platform group Roster manages.',
  },
  'system.read': { kind: 'absolute', min: ADMIN, doc: 'See the configuration (redacted) and the jobs.' },
  'system.jobs': { kind: 'absolute', min: ADMIN, doc: 'Trigger a job.' },
  'audit.read': { kind: 'absolute', min: ADMIN, doc: 'Read the audit log.' },
} as const satisfies Record<string, ScopeRule>;

type ScopeRule =
  | { kind: 'relative'; access: 'read' | 'write'; doc: string }
  | { kind: 'absolute'; min: ClearanceLevel; doc: string }
  | { kind: 'owner'; min: ClearanceLevel; doc: string }
  | { kind: 'leader'; min: ClearanceLevel; doc: string };

export type Scope = keyof typeof scopeRules;

export interface Actor {
  readonly userId: string;
  readonly characterId: number;
  readonly clearanceLevel: ClearanceLevel;
  readonly affiliation: Affiliation;
}

/**
 * What a scope is checked against; relative scopes need `affiliation`, owner scopes `ownerId`,
 * leader scopes `leads` (whether the actor leads the group: domain/group-membership.ts).
 */
export interface ScopeTarget {
  readonly affiliation?: Affiliation;
  readonly ownerId?: string | null;
  readonly leads?: boolean;
}

export function may(actor: Actor, scope: Scope, target: ScopeTarget = {}): boolean {
  if (actor.clearanceLevel <= GUEST) return false;
  const rule: ScopeRule = scopeRules[scope];
  switch (rule.kind) {
    case 'absolute':
      return actor.clearanceLevel >= rule.min;
    case 'owner':
      return (target.ownerId != null && target.ownerId === actor.userId) || actor.clearanceLevel >= rule.min;
    case 'leader':
      return (
        target.leads === true ||
        (target.ownerId != null && target.ownerId === actor.userId) ||
        actor.clearanceLevel >= rule.min
      );
    case 'relative': {
      if (!target.affiliation) return actor.clearanceLevel >= (rule.access === 'read' ? 7 : 8);
      const d = distance(actor.affiliation, target.affiliation);
      if (d === 0) return true;
      return actor.clearanceLevel >= (rule.access === 'read' ? d : d + 1);
    }
  }
}

export type ClearanceRefusal =
  'own-level' | 'out-of-range' | 'level-not-below' | 'target-not-below' | 'root-is-fixed' | 'not-in-reach';

/**
 * May `actor` set `target`'s level to `level`? Never one's own; root stays 10; below superuser,
 * only levels strictly below one's own and only on users strictly below one's own (the same check
 * whether raising or lowering, so whatever an officer does it can undo: nobody below superuser
 * makes a peer); and the target must be within the actor's write reach. A superuser sets any level.
 */
export function clearanceChangeRefusal(
  actor: Actor,
  target: { userId: string; characterId: number; clearanceLevel: ClearanceLevel; affiliation: Affiliation },
  level: ClearanceLevel,
): ClearanceRefusal | null {
  if (!Number.isInteger(level) || level < GUEST || level > SUPERUSER) return 'out-of-range';
  if (actor.userId === target.userId) return 'own-level';
  if (target.characterId === ROOT_CHARACTER_ID) return 'root-is-fixed';
  if (actor.clearanceLevel < SUPERUSER) {
    if (level >= actor.clearanceLevel) return 'level-not-below';
    if (target.clearanceLevel >= actor.clearanceLevel) return 'target-not-below';
  }
  if (!may(actor, 'user.setClearance', { affiliation: target.affiliation })) return 'not-in-reach';
  return null;
}

/** Levels a CEO holds by office: corporation CEO at least 2, alliance executor's CEO at least 4. */
export const CEO_FLOOR = 2;
export const EXECUTOR_CEO_FLOOR = 4;

/**
 * The level a user should have after their offices changed. Levels of admins and above are never
 * touched automatically; a floor raises a level; losing an office drops a level that was only the
 * office's floor back to 0.
 */
export function levelAfterOfficeChange(
  current: ClearanceLevel,
  oldFloor: number,
  newFloor: number,
): ClearanceLevel {
  if (current >= ADMIN || current <= GUEST) return current;
  if (current < newFloor) return newFloor;
  if (newFloor < oldFloor && current <= oldFloor) return Math.max(newFloor, 0);
  return current;
}

export function officeFloor(isCorporationCeo: boolean, isExecutorCeo: boolean): number {
  if (isExecutorCeo) return EXECUTOR_CEO_FLOOR;
  if (isCorporationCeo) return CEO_FLOOR;
  return 0;
}
