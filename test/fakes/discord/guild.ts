import {
  byId,
  makeMember,
  makeRole,
  makeUser,
  Permission,
  snowflake,
  type MemberJson,
  type MemberSeed,
  type RoleJson,
  type RoleSeed,
  type UserJson,
} from './model.ts';

export interface GuildSeed {
  guildId?: string;
  name?: string;
  botUserId?: string;
  /** Permissions of the bot's managed role (default Manage Roles + Manage Nicknames). */
  botRolePermissions?: bigint;
  everyonePermissions?: bigint;
}

/** One guild, its roles and members, the bot's place in it, and the users known to OAuth. */
export class FakeGuild {
  readonly id: string;
  readonly name: string;
  readonly botUserId: string;
  readonly botRoleId: string;
  ownerId: string;
  readonly roles = new Map<string, RoleJson>();
  readonly members = new Map<string, MemberJson>();
  /** Every Discord user the fake knows (guild members and OAuth-only users). */
  readonly users = new Map<string, UserJson>();
  #sortedIds: string[] | null = null;

  constructor(seed: GuildSeed = {}) {
    this.id = seed.guildId ?? snowflake();
    this.name = seed.name ?? 'Fake Guild';
    this.botUserId = seed.botUserId ?? snowflake();
    this.roles.set(
      this.id,
      makeRole(this.id, { name: '@everyone', permissions: seed.everyonePermissions ?? 0n }, 0),
    );
    const botPerms = seed.botRolePermissions ?? Permission.ManageRoles | Permission.ManageNicknames;
    this.botRoleId = this.addRole({ name: 'Roster', managed: true, permissions: botPerms }).id;
    const botRole = this.roles.get(this.botRoleId);
    if (botRole) botRole.tags = { bot_id: this.botUserId };
    this.addMember({ id: this.botUserId, username: 'roster-bot', bot: true, roles: [this.botRoleId] });
    this.ownerId = this.addMember({ username: 'owner' }).user.id;
  }

  /** Inserts a role at `position` (default 1, as Discord creates); roles at or above it move up. */
  addRole(seed: RoleSeed): RoleJson {
    const id = seed.id ?? snowflake();
    const position = Math.max(1, seed.position ?? 1);
    for (const role of this.roles.values())
      if (role.position >= position && role.id !== this.id) role.position++;
    const role = makeRole(id, seed, position);
    this.roles.set(id, role);
    return role;
  }

  /** Moves a role to `position` (e.g. the bot's role, to put it below others); others close ranks. */
  moveRole(roleId: string, position: number): void {
    const role = this.roles.get(roleId);
    if (!role || roleId === this.id) throw new Error(`fake discord: cannot move role ${roleId}`);
    const sorted = this.sortedRoles().filter((r) => r.id !== this.id && r.id !== roleId);
    sorted.splice(Math.max(0, Math.min(sorted.length, position - 1)), 0, role);
    for (const [i, r] of sorted.entries()) r.position = i + 1;
  }

  deleteRole(roleId: string): void {
    const role = this.roles.get(roleId);
    if (!role) return;
    this.roles.delete(roleId);
    for (const other of this.roles.values()) if (other.position > role.position) other.position--;
    for (const member of this.members.values()) member.roles = member.roles.filter((r) => r !== roleId);
  }

  addUser(seed: { id?: string; username?: string; bot?: boolean } = {}): UserJson {
    const id = seed.id ?? snowflake();
    const user =
      this.users.get(id) ?? makeUser(id, seed.username ?? `user${id.slice(-6)}`, seed.bot ?? false);
    this.users.set(id, user);
    return user;
  }

  addMember(seed: MemberSeed = {}): MemberJson {
    const user = this.addUser(seed);
    for (const roleId of seed.roles ?? []) {
      if (!this.roles.has(roleId)) throw new Error(`fake discord: unknown role ${roleId}`);
    }
    const member = makeMember(user, seed.roles ?? [], seed.nick ?? null);
    this.members.set(user.id, member);
    this.#sortedIds = null;
    return member;
  }

  removeMember(userId: string): void {
    if (this.members.delete(userId)) this.#sortedIds = null;
  }

  /** Up to `limit` members with user id > `after`, ascending by id (Discord's list order). */
  listMembers(after: string, limit: number): MemberJson[] {
    this.#sortedIds ??= [...this.members.keys()].sort(byId);
    const ids = this.#sortedIds;
    const afterId = BigInt(after);
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (BigInt(ids[mid] ?? '0') <= afterId) lo = mid + 1;
      else hi = mid;
    }
    return ids.slice(lo, lo + limit).flatMap((id) => this.members.get(id) ?? []);
  }

  sortedRoles(): RoleJson[] {
    return [...this.roles.values()].sort((a, b) => a.position - b.position || byId(a.id, b.id));
  }

  /** Position of a member's highest role (0 = only @everyone). */
  topPosition(member: MemberJson): number {
    return Math.max(0, ...member.roles.map((id) => this.roles.get(id)?.position ?? 0));
  }

  botTopPosition(): number {
    const bot = this.members.get(this.botUserId);
    return bot ? this.topPosition(bot) : 0;
  }

  botPermissions(): bigint {
    const bot = this.members.get(this.botUserId);
    let perms = BigInt(this.roles.get(this.id)?.permissions ?? '0');
    for (const id of bot?.roles ?? []) perms |= BigInt(this.roles.get(id)?.permissions ?? '0');
    return perms;
  }

  botHas(permission: bigint): boolean {
    const perms = this.botPermissions();
    return (perms & Permission.Administrator) !== 0n || (perms & permission) !== 0n;
  }

  /** The bot may assign, remove, edit or delete this role (below its highest role, not managed). */
  botMayManageRole(roleId: string): boolean {
    const role = this.roles.get(roleId);
    return !!role && !role.managed && role.id !== this.id && role.position < this.botTopPosition();
  }

  /** The bot outranks this member (not the owner, highest role strictly below the bot's). */
  botOutranks(member: MemberJson): boolean {
    if (member.user.id === this.ownerId) return false;
    if (member.user.id === this.botUserId) return true;
    return this.topPosition(member) < this.botTopPosition();
  }

  guildJson(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      icon: null,
      owner_id: this.ownerId,
      roles: this.sortedRoles(),
      emojis: [],
      features: [],
      mfa_level: 0,
      verification_level: 0,
      premium_tier: 0,
      preferred_locale: 'en-US',
    };
  }
}
