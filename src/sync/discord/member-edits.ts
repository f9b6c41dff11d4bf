import { PermissionFlagsBits } from 'discord.js';
import type { ApplyBatch, SkippedChange } from '../target.ts';
import { topPosition, type GuildSnapshot } from './guild-snapshot.ts';

/** One member's PATCH: the full new role list (when it changes) and the nickname (when it changes). */
export interface MemberEdit {
  readonly userId: string;
  /** Full new role list: current roles minus removed plus added; null when roles do not change. */
  readonly roles: readonly string[] | null;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** The new nickname, when one is set in this PATCH. */
  readonly nick?: string;
}

export interface EditPlan {
  readonly edits: MemberEdit[];
  /** Changes Discord would refuse, known from the snapshot; never attempted. */
  readonly skipped: SkippedChange[];
}

export const SkipReason = {
  notAMember: 'not a member of the guild',
  unknownRole: 'role does not exist on Discord',
  managedRole: 'role is @everyone or managed by an integration',
  roleAboveBot: "role is at or above the bot's highest role",
  noManageRoles: 'the bot lacks the Manage Roles permission',
  noManageNicknames: 'the bot lacks the Manage Nicknames permission',
  ownerNickname: "Discord does not let bots change the guild owner's nickname",
  memberAboveBot: "member's highest role is at or above the bot's highest role",
  missingPermissions: 'Discord refused: Missing Permissions (50013)',
  unknownMember: 'Discord: Unknown Member (10007)',
  unknownRoleOnApply: 'Discord: Unknown Role (10011)',
  invalidNickname: 'Discord refused the nickname: Invalid Form Body (50035)',
} as const;

interface Wanted {
  add: Set<string>;
  remove: Set<string>;
  nick?: string;
}

function collect(batch: ApplyBatch, setNicknames: boolean): Map<string, Wanted> {
  const wanted = new Map<string, Wanted>();
  const of = (id: string): Wanted => {
    let w = wanted.get(id);
    if (!w) wanted.set(id, (w = { add: new Set(), remove: new Set() }));
    return w;
  };
  for (const change of batch.removes) for (const id of change.accountIds) of(id).remove.add(change.groupId);
  for (const change of batch.adds) {
    for (const id of change.accountIds) {
      of(id).add.add(change.groupId);
      of(id).remove.delete(change.groupId);
    }
  }
  if (setNicknames) for (const n of batch.nicknames) of(n.accountId).nick = n.nickname;
  return wanted;
}

/**
 * Groups a batch per member into one edit each, keeping every role Roster does not touch, and
 * leaves out what the snapshot shows Discord would refuse (reported as skipped).
 */
export function planMemberEdits(snapshot: GuildSnapshot, batch: ApplyBatch, setNicknames: boolean): EditPlan {
  const edits: MemberEdit[] = [];
  const skipped: SkippedChange[] = [];
  const canManageRoles = (snapshot.botPermissions & PermissionFlagsBits.ManageRoles) !== 0n;
  const canManageNicks = (snapshot.botPermissions & PermissionFlagsBits.ManageNicknames) !== 0n;

  const roleRefusal = (roleId: string): string | null => {
    const role = snapshot.roles.get(roleId);
    if (!role) return SkipReason.unknownRole;
    if (role.managed || role.id === snapshot.guildId) return SkipReason.managedRole;
    if (role.position >= snapshot.botTopPosition) return SkipReason.roleAboveBot;
    if (!canManageRoles) return SkipReason.noManageRoles;
    return null;
  };

  for (const [userId, want] of collect(batch, setNicknames)) {
    const member = snapshot.members.get(userId);
    if (!member) {
      for (const groupId of want.add)
        skipped.push({ accountId: userId, groupId, reason: SkipReason.notAMember });
      continue;
    }
    const current = new Set(member.roles);
    const added: string[] = [];
    const removed: string[] = [];
    for (const [ids, list, applies] of [
      [want.add, added, (r: string) => !current.has(r)],
      [want.remove, removed, (r: string) => current.has(r)],
    ] as const) {
      for (const roleId of ids) {
        if (!applies(roleId)) continue;
        const refusal = roleRefusal(roleId);
        if (refusal) skipped.push({ accountId: userId, groupId: roleId, reason: refusal });
        else list.push(roleId);
      }
    }
    let nick: string | undefined;
    if (want.nick !== undefined && want.nick !== member.nick) {
      const refusal =
        userId === snapshot.ownerId
          ? SkipReason.ownerNickname
          : userId !== snapshot.botUserId &&
              topPosition(snapshot.roles, member.roles) >= snapshot.botTopPosition
            ? SkipReason.memberAboveBot
            : !canManageNicks
              ? SkipReason.noManageNicknames
              : null;
      if (refusal) skipped.push({ accountId: userId, reason: refusal });
      else nick = want.nick;
    }
    if (added.length === 0 && removed.length === 0 && nick === undefined) continue;
    const gone = new Set(removed);
    const roles =
      added.length + removed.length > 0 ? [...member.roles.filter((r) => !gone.has(r)), ...added] : null;
    edits.push({ userId, roles, added, removed, ...(nick === undefined ? {} : { nick }) });
  }
  return { edits, skipped };
}
