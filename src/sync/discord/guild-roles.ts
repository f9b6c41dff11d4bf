import { Routes, type APIRole } from 'discord.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PlatformGroup } from '../target.ts';
import { roleInfo, type RoleInfo } from './guild-snapshot.ts';
import { describeError, isRetryable, type DiscordRest } from './rest-client.ts';

/** A Discord role as listGroups reports it: with what Roster needs to decide whether to adopt it. */
export interface DiscordRole extends PlatformGroup {
  readonly position: number;
  /** Managed by an integration (bot, booster, subscription role): never assignable. */
  readonly managed: boolean;
  /** Roster may adopt it: not @everyone, not managed, below the bot's highest role. */
  readonly adoptable: boolean;
}

export interface RoleOpsContext {
  readonly api: DiscordRest;
  readonly guildId: string;
  readonly signal: AbortSignal;
  /** Permissions of created roles (Discord's decimal string). */
  readonly rolePermissions: string;
  /** Retries of a role creation Discord did not answer (each waits `api.retryDelay`). */
  readonly retries: number;
  readonly logger?: Logger;
  /** The X-Audit-Log-Reason for an action on roles. */
  reason(what: string): string;
  /** Position of the bot's highest role, given the guild's roles. */
  botTopPosition(roles: ReadonlyMap<string, RoleInfo>): Promise<number>;
}

function toDiscordRole(role: APIRole, guildId: string, botTop: number): DiscordRole {
  return {
    id: role.id,
    name: role.name,
    position: role.position,
    managed: role.managed,
    adoptable: role.id !== guildId && !role.managed && role.position < botTop,
  };
}

/** Every role of the guild, @everyone and managed ones included (marked not adoptable). */
export async function listRoles(ctx: RoleOpsContext): Promise<DiscordRole[]> {
  const { api, guildId, signal } = ctx;
  const roles = (await api.withBackoff(
    () => api.rest.get(Routes.guildRoles(guildId), { signal }),
    signal,
  )) as APIRole[];
  const botTop = await ctx.botTopPosition(new Map(roles.map((r) => [r.id, roleInfo(r)] as const)));
  return roles.map((r) => toDiscordRole(r, guildId, botTop));
}

/**
 * Creates a role (not mentionable, not hoisted, permissions from the options). Sent once per
 * attempt (no blind retry); when an answer is lost (5xx, network), lists the roles and adopts the
 * one it made before trying again, so a lost answer does not leave a duplicate.
 */
export async function createRole(ctx: RoleOpsContext, name: string): Promise<DiscordRole> {
  const { api, guildId, signal, retries } = ctx;
  const body = { name, permissions: ctx.rolePermissions, mentionable: false, hoist: false };
  const reason = ctx.reason(`create role "${name}"`);
  for (let attempt = 0; ; attempt++) {
    try {
      const role = (await api.restOnce.post(Routes.guildRoles(guildId), { body, reason, signal })) as APIRole;
      return { ...toDiscordRole(role, guildId, Infinity), adoptable: true };
    } catch (error) {
      if (!isRetryable(error) || attempt >= retries || signal.aborted) throw error;
      ctx.logger?.info(
        { role: name, err: describeError(error) },
        'discord: role creation unanswered, checking',
      );
      const made = (await listRoles(ctx)).find((r) => r.name === name && r.adoptable);
      if (made) return made;
      await sleep(api.retryDelay(attempt));
    }
  }
}

export async function renameRole(ctx: RoleOpsContext, roleId: string, name: string): Promise<void> {
  const { api, guildId, signal } = ctx;
  const reason = ctx.reason(`rename role to "${name}"`);
  const route = Routes.guildRole(guildId, roleId);
  await api.withBackoff(() => api.rest.patch(route, { body: { name }, reason, signal }), signal);
}

/** Only on an operator's explicit request. */
export async function deleteRole(ctx: RoleOpsContext, roleId: string): Promise<void> {
  const { api, guildId, signal } = ctx;
  const reason = ctx.reason('delete role (operator request)');
  const route = Routes.guildRole(guildId, roleId);
  await api.withBackoff(() => api.rest.delete(route, { reason, signal }), signal);
}
