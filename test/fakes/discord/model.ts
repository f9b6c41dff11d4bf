/**
 * The fake guild's state and Discord's JSON shapes for it. Pure data: no HTTP here.
 * Ids are real-looking snowflakes (18–19 digits) because @discordjs/rest only recognises
 * `\d{17,19}` as ids when it works out buckets and major parameters.
 */

export const DISCORD_EPOCH = 1_420_070_400_000n;

/** Permission bits the fake looks at (Discord's values). */
export const Permission = {
  Administrator: 1n << 3n,
  ManageNicknames: 1n << 27n,
  ManageRoles: 1n << 28n,
} as const;

let sequence = 0n;
/** A fresh, increasing snowflake (timestamp << 22 | sequence). */
export function snowflake(): string {
  sequence = (sequence + 1n) & 0x3fffffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | sequence).toString();
}

export interface UserJson {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

export interface RoleJson {
  id: string;
  name: string;
  color: number;
  colors: { primary_color: number; secondary_color: number | null; tertiary_color: number | null };
  hoist: boolean;
  icon: string | null;
  unicode_emoji: string | null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id?: string; integration_id?: string };
}

export interface MemberJson {
  user: UserJson;
  nick: string | null;
  avatar: string | null;
  banner: string | null;
  roles: string[];
  joined_at: string;
  premium_since: string | null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  communication_disabled_until: string | null;
}

export interface RoleSeed {
  id?: string;
  name: string;
  /** Inserted at this position (others at or above it move up); default 1, as Discord creates. */
  position?: number;
  permissions?: bigint | string;
  managed?: boolean;
  mentionable?: boolean;
  hoist?: boolean;
}

export interface MemberSeed {
  id?: string;
  username?: string;
  roles?: readonly string[];
  nick?: string | null;
  bot?: boolean;
}

export function makeUser(id: string, username: string, bot = false): UserJson {
  return { id, username, discriminator: '0', global_name: null, avatar: null, ...(bot ? { bot } : {}) };
}

export function makeRole(id: string, seed: RoleSeed, position: number): RoleJson {
  return {
    id,
    name: seed.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: seed.hoist ?? false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: String(seed.permissions ?? 0n),
    managed: seed.managed ?? false,
    mentionable: seed.mentionable ?? false,
    flags: 0,
  };
}

export function makeMember(user: UserJson, roles: readonly string[], nick: string | null): MemberJson {
  return {
    user,
    nick,
    avatar: null,
    banner: null,
    roles: [...roles],
    joined_at: new Date().toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
}

export function byId(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
