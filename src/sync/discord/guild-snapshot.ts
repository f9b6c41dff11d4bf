import {
  makeURLSearchParams,
  PermissionFlagsBits,
  Routes,
  type APIGuild,
  type APIGuildMember,
  type APIRole,
} from 'discord.js';
import type { DiscordRest } from './rest-client.ts';

/** Discord's page size limit for GET /guilds/{guild}/members. */
export const MEMBER_PAGE_SIZE = 1000;

export interface RoleInfo {
  readonly id: string;
  readonly name: string;
  readonly position: number;
  readonly managed: boolean;
  readonly permissions: bigint;
}

export interface MemberState {
  /** The member's full role list as Discord reported it (managed by Roster or not). */
  roles: readonly string[];
  nick: string | null;
}

/** One read of the guild: what apply needs to compute full role lists and respect the hierarchy. */
export interface GuildSnapshot {
  readonly guildId: string;
  readonly ownerId: string;
  readonly botUserId: string;
  /** Roles created after the read are added (the engine creates groups after it observes). */
  readonly roles: Map<string, RoleInfo>;
  readonly members: Map<string, MemberState>;
  /** Position of the bot's highest role (0 = none); moves up when a role is created below it. */
  botTopPosition: number;
  readonly botPermissions: bigint;
  /** Member-list pages read. */
  readonly pages: number;
}

/**
 * A role created after the snapshot was read, as Discord does it: inserted at its position (1 for a
 * new role), every role at or above it moved up one, the bot's included.
 */
export function addCreatedRole(
  snapshot: Pick<GuildSnapshot, 'guildId' | 'roles' | 'botTopPosition'>,
  role: RoleInfo,
): void {
  for (const [id, other] of snapshot.roles)
    if (id !== snapshot.guildId && other.position >= role.position)
      snapshot.roles.set(id, { ...other, position: other.position + 1 });
  if (snapshot.botTopPosition >= role.position) snapshot.botTopPosition += 1;
  snapshot.roles.set(role.id, role);
}

export function roleInfo(role: APIRole): RoleInfo {
  return {
    id: role.id,
    name: role.name,
    position: role.position,
    managed: role.managed,
    permissions: BigInt(role.permissions),
  };
}

export function topPosition(roles: ReadonlyMap<string, RoleInfo>, memberRoles: readonly string[]): number {
  return Math.max(0, ...memberRoles.map((id) => roles.get(id)?.position ?? 0));
}

/** The bot's effective guild permissions (roles + @everyone; Administrator implies all). */
export function permissionsOf(
  roles: ReadonlyMap<string, RoleInfo>,
  guildId: string,
  memberRoles: readonly string[],
): bigint {
  let perms = roles.get(guildId)?.permissions ?? 0n;
  for (const id of memberRoles) perms |= roles.get(id)?.permissions ?? 0n;
  return (perms & PermissionFlagsBits.Administrator) !== 0n ? (1n << 64n) - 1n : perms;
}

/** Names of the permissions the bot needs and lacks. */
export function missingPermissions(perms: bigint, setNicknames: boolean): string[] {
  const missing: string[] = [];
  if ((perms & PermissionFlagsBits.ManageRoles) === 0n) missing.push('MANAGE_ROLES');
  if (setNicknames && (perms & PermissionFlagsBits.ManageNicknames) === 0n) missing.push('MANAGE_NICKNAMES');
  return missing;
}

/** The bot's own roles: one GET member. */
export async function readBotRoles(
  api: DiscordRest,
  guildId: string,
  botUserId: string,
  signal?: AbortSignal,
): Promise<readonly string[]> {
  const route = Routes.guildMember(guildId, botUserId);
  const bot = (await api.withBackoff(() => api.rest.get(route, { signal }), signal)) as APIGuildMember;
  return bot.roles;
}

/** The guild (owner, roles) and the bot's roles: one GET guild + one GET member. */
export async function readGuildHeader(
  api: DiscordRest,
  guildId: string,
  botUserId: string,
  signal?: AbortSignal,
): Promise<{ ownerId: string; roles: Map<string, RoleInfo>; botRoles: readonly string[] }> {
  const guild = (await api.withBackoff(
    () => api.rest.get(Routes.guild(guildId), { signal }),
    signal,
  )) as APIGuild;
  const roles = new Map(guild.roles.map((r) => [r.id, roleInfo(r)] as const));
  return { ownerId: guild.owner_id, roles, botRoles: await readBotRoles(api, guildId, botUserId, signal) };
}

/** Reads the guild and every member, 1000 per page with `after`: 1 + ceil((n + 1) / 1000) calls. */
export async function readGuildSnapshot(
  api: DiscordRest,
  guildId: string,
  botUserId: string,
  signal?: AbortSignal,
): Promise<GuildSnapshot> {
  const guild = (await api.withBackoff(
    () => api.rest.get(Routes.guild(guildId), { signal }),
    signal,
  )) as APIGuild;
  const roles = new Map(guild.roles.map((r) => [r.id, roleInfo(r)] as const));
  const members = new Map<string, MemberState>();
  let after = '0';
  let pages = 0;
  for (;;) {
    const query = makeURLSearchParams({ limit: MEMBER_PAGE_SIZE, after });
    const page = (await api.withBackoff(
      () => api.rest.get(Routes.guildMembers(guildId), { query, signal }),
      signal,
    )) as APIGuildMember[];
    pages++;
    for (const member of page)
      members.set(member.user.id, { roles: member.roles, nick: member.nick ?? null });
    const last = page.at(-1);
    if (page.length < MEMBER_PAGE_SIZE || !last) break;
    after = last.user.id;
  }
  const botRoles = members.get(botUserId)?.roles ?? (await readBotRoles(api, guildId, botUserId, signal));
  return {
    guildId,
    ownerId: guild.owner_id,
    botUserId,
    roles,
    members,
    botTopPosition: topPosition(roles, botRoles),
    botPermissions: permissionsOf(roles, guildId, botRoles),
    pages,
  };
}
