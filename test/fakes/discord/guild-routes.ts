import type { FakeGuild } from './guild.ts';
import { DiscordError, isRecord, noContent, ok, type FakeRequest, type Reply, type Route } from './http.ts';
import { makeMember, Permission, type MemberJson, type RoleJson } from './model.ts';
import type { OAuthStore } from './oauth.ts';

/**
 * `discord`: Discord's documented hierarchy: roles below the bot's highest role may be granted to
 * anyone, but nicknames of the owner and of members at or above the bot may not be changed.
 * `strict`: any change to the owner or to a member at or above the bot is refused.
 */
export type HierarchyMode = 'discord' | 'strict';

const NICK_MAX = 32;

/** Guild, role and member routes under `/guilds/:guild`. */
export function guildRoutes(guild: FakeGuild, oauth: OAuthStore, hierarchy: () => HierarchyMode): Route[] {
  const withGuild =
    (handler: (req: FakeRequest) => Reply) =>
    (req: FakeRequest): Reply =>
      req.params.guild === guild.id ? handler(req) : DiscordError.unknownGuild();
  const body = (req: FakeRequest): Record<string, unknown> => (isRecord(req.body) ? req.body : {});

  /** Refusal for changing `member` from its roles to `next` (and its nick when `nick` is set). */
  const refuse = (member: MemberJson, next: readonly string[] | null, nick: boolean): Reply | null => {
    const current = new Set(member.roles);
    const wanted = new Set(next ?? member.roles);
    const changed = [...wanted]
      .filter((r) => !current.has(r))
      .concat(member.roles.filter((r) => !wanted.has(r)));
    if (changed.some((r) => !guild.roles.has(r))) return DiscordError.unknownRole();
    if (changed.length > 0) {
      if (!guild.botHas(Permission.ManageRoles)) return DiscordError.missingPermissions();
      if (hierarchy() === 'strict' && !guild.botOutranks(member)) return DiscordError.missingPermissions();
      if (changed.some((r) => !guild.botMayManageRole(r))) return DiscordError.missingPermissions();
    }
    if (nick && (!guild.botHas(Permission.ManageNicknames) || !guild.botOutranks(member))) {
      return DiscordError.missingPermissions();
    }
    return null;
  };

  const parseRoles = (value: unknown): string[] | null | 'invalid' => {
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value) || !value.every((r) => typeof r === 'string')) return 'invalid';
    return [...new Set(value.filter((r: string) => r !== guild.id))];
  };
  const parseNick = (value: unknown): string | null | undefined | 'invalid' => {
    if (value === undefined) return undefined;
    if (value === null || value === '') return null;
    return typeof value === 'string' && value.length <= NICK_MAX ? value : 'invalid';
  };

  const editMember = (req: FakeRequest): Reply => {
    const member = guild.members.get(req.params.user ?? '');
    if (!member) return DiscordError.unknownMember();
    const roles = parseRoles(body(req).roles);
    if (roles === 'invalid')
      return DiscordError.invalidFormBody('roles', 'Value must be a list of role ids.');
    const nick = parseNick(body(req).nick);
    if (nick === 'invalid')
      return DiscordError.invalidFormBody('nick', `Must be ${NICK_MAX} or fewer in length.`);
    const refusal = refuse(member, roles, nick !== undefined);
    if (refusal) return refusal;
    if (roles) member.roles = roles;
    if (nick !== undefined) member.nick = nick;
    return ok(member);
  };

  const editRole = (req: FakeRequest, remove: boolean): Reply => {
    const member = guild.members.get(req.params.user ?? '');
    if (!member) return DiscordError.unknownMember();
    const roleId = req.params.role ?? '';
    if (!guild.roles.has(roleId)) return DiscordError.unknownRole();
    const next = remove ? member.roles.filter((r) => r !== roleId) : [...new Set([...member.roles, roleId])];
    const refusal = refuse(member, next, false);
    if (refusal) return refusal;
    member.roles = next;
    return noContent();
  };

  const addMember = (req: FakeRequest): Reply => {
    const userId = req.params.user ?? '';
    const { access_token: token } = body(req);
    if (typeof token !== 'string' || oauth.userFor(token, 'guilds.join') !== userId) {
      return DiscordError.invalidOAuthToken();
    }
    if (guild.members.has(userId)) return noContent();
    const roles = parseRoles(body(req).roles);
    if (roles === 'invalid')
      return DiscordError.invalidFormBody('roles', 'Value must be a list of role ids.');
    const nick = parseNick(body(req).nick);
    if (nick === 'invalid')
      return DiscordError.invalidFormBody('nick', `Must be ${NICK_MAX} or fewer in length.`);
    const newcomer = makeMember(guild.addUser({ id: userId }), [], null);
    const refusal = refuse(newcomer, roles, nick !== undefined && nick !== null);
    if (refusal) return refusal;
    return ok(guild.addMember({ id: userId, roles: roles ?? [], nick: nick ?? null }), 201);
  };

  const createRole = (req: FakeRequest): Reply => {
    if (!guild.botHas(Permission.ManageRoles)) return DiscordError.missingPermissions();
    const b = body(req);
    const permissions =
      typeof b.permissions === 'string' ? b.permissions : (guild.roles.get(guild.id)?.permissions ?? '0');
    if (!/^\d+$/.test(permissions))
      return DiscordError.invalidFormBody('permissions', 'Invalid permissions.');
    if (!guild.botHas(Permission.Administrator) && (BigInt(permissions) & ~guild.botPermissions()) !== 0n) {
      return DiscordError.missingPermissions();
    }
    const role = guild.addRole({
      name: typeof b.name === 'string' ? b.name : 'new role',
      permissions,
      hoist: b.hoist === true,
      mentionable: b.mentionable === true,
    });
    return ok(role);
  };

  const modifyRole = (req: FakeRequest): Reply => {
    const role = guild.roles.get(req.params.role ?? '');
    if (!role) return DiscordError.unknownRole();
    if (!guild.botHas(Permission.ManageRoles) || !guild.botMayManageRole(role.id)) {
      return DiscordError.missingPermissions();
    }
    const b = body(req);
    const patch: Partial<RoleJson> = {};
    if (typeof b.name === 'string') patch.name = b.name;
    if (typeof b.permissions === 'string') patch.permissions = b.permissions;
    if (typeof b.hoist === 'boolean') patch.hoist = b.hoist;
    if (typeof b.mentionable === 'boolean') patch.mentionable = b.mentionable;
    Object.assign(role, patch);
    return ok(role);
  };

  const deleteRole = (req: FakeRequest): Reply => {
    const roleId = req.params.role ?? '';
    if (!guild.roles.has(roleId)) return DiscordError.unknownRole();
    if (!guild.botHas(Permission.ManageRoles) || !guild.botMayManageRole(roleId)) {
      return DiscordError.missingPermissions();
    }
    guild.deleteRole(roleId);
    return noContent();
  };

  const listMembers = (req: FakeRequest): Reply => {
    const limit = Number(req.query.get('limit') ?? '1');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return DiscordError.invalidFormBody('limit', 'int value should be less than or equal to 1000.');
    }
    const after = req.query.get('after') ?? '0';
    if (!/^\d+$/.test(after)) return DiscordError.invalidFormBody('after', 'Value "after" is not snowflake.');
    return ok(guild.listMembers(after, limit));
  };

  const route = (
    method: string,
    pattern: string,
    handler: (req: FakeRequest) => Reply,
    bucket: Route['bucket'] = 'route',
  ): Route => ({
    method,
    pattern: `/guilds/:guild${pattern}`,
    bucket,
    auth: 'bot',
    handler: withGuild(handler),
  });

  return [
    route('GET', '', () => ok(guild.guildJson())),
    route('GET', '/roles', () => ok(guild.sortedRoles())),
    route('POST', '/roles', createRole),
    route('PATCH', '/roles/:role', modifyRole),
    route('DELETE', '/roles/:role', deleteRole),
    route('GET', '/members', listMembers),
    route('GET', '/members/:user', (req) => {
      const member = guild.members.get(req.params.user ?? '');
      return member ? ok(member) : DiscordError.unknownMember();
    }),
    route('PATCH', '/members/:user', editMember, 'memberEdit'),
    route('PUT', '/members/:user', addMember),
    route('PUT', '/members/:user/roles/:role', (req) => editRole(req, false), 'memberEdit'),
    route('DELETE', '/members/:user/roles/:role', (req) => editRole(req, true), 'memberEdit'),
  ];
}
