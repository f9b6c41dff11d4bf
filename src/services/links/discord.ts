import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../../config/schema.ts';
import { Challenge, User } from '../../store/entities/index.ts';
import { ConflictError, PlatformRefusedError } from '../../domain/errors.ts';
import { asConflict } from '../../store/errors.ts';
import { inTransaction } from '../../store/transaction.ts';
import { desiredState } from '../../sync/desired.ts';
import { loadSyncInputs } from '../../sync/inputs.ts';
import { audit } from '../audit.ts';
import { findChallenge } from '../auth/challenges.ts';
import {
  checkUsable,
  claimLinkChallenge,
  newLinkCode,
  normalizeLinkCode,
  startChallenge,
} from '../auth/link-challenges.ts';
import { LinkError } from './errors.ts';
import type { DiscordOAuthPorts } from '../../domain/link-ports.ts';
import { randomToken } from '../auth/secrets.ts';
import { writeChange, type UseCaseContext } from '../use-case.ts';
import { discordLinkScope, linkScope } from './scope.ts';

/**
 * What a link proved by a challenge is called with: the challenge names who links (their audit
 * entries name them, under the request id the input gives), so it has no author of its own.
 */
export type ChallengeLinkContext = Pick<UseCaseContext, 'db' | 'notifier'>;

/** A Discord account counts on every guild: each Discord target's next run brings it in step. */
const discordLinked = (app: ChallengeLinkContext, userId: string, previousDiscordUserId: string | null) =>
  app.notifier.targetChanged(
    'discord',
    null,
    'discord.link',
    discordLinkScope(userId, previousDiscordUserId),
  );

export const DISCORD_CALLBACK_PATH = '/discord/callback';
export const DISCORD_INTERACTIONS_PATH = '/discord/interactions';
const TAKEN = 'this Discord account is already linked to another user; they must unlink it first';

/** Where Discord sends the browser back: `controlPlane.publicUrl` (else http://host:port) + /discord/callback. */
export function discordRedirectUri(config: Config): string {
  const base =
    config.controlPlane.publicUrl || `http://${config.controlPlane.host}:${config.controlPlane.port}`;
  return `${base.replace(/\/+$/, '')}${DISCORD_CALLBACK_PATH}`;
}

export type StartedDiscordLink =
  | { readonly method: 'oauth'; readonly target: string; readonly url: string; readonly expiresAt: Date }
  | {
      readonly method: 'code';
      readonly target: string;
      readonly code: string;
      readonly command: string;
      readonly expiresAt: Date;
    };

export async function startDiscordOAuthLink(
  em: EntityManager,
  links: DiscordOAuthPorts,
  input: {
    userId: string;
    target: string;
    ttlSeconds: number;
    redirectUri: string;
    requestId?: string | null;
  },
  now = new Date(),
): Promise<StartedDiscordLink> {
  const state = randomToken();
  const url = links.discord(input.target).authorizeUrl({ redirectUri: input.redirectUri, state });
  const challenge = await startChallenge(
    em,
    {
      kind: 'discord-oauth',
      userId: input.userId,
      target: input.target,
      secret: state,
      ttlSeconds: input.ttlSeconds,
      requestId: input.requestId,
    },
    'discord.startLink',
    { method: 'oauth' },
    now,
  );
  return { method: 'oauth', target: input.target, url, expiresAt: challenge.expiresAt };
}

export async function startDiscordCodeLink(
  em: EntityManager,
  input: { userId: string; target: string; ttlSeconds: number; requestId?: string | null },
  now = new Date(),
): Promise<StartedDiscordLink> {
  const code = newLinkCode();
  const challenge = await startChallenge(
    em,
    {
      kind: 'discord-code',
      userId: input.userId,
      target: input.target,
      secret: code,
      ttlSeconds: input.ttlSeconds,
      requestId: input.requestId,
    },
    'discord.startLink',
    { method: 'code' },
    now,
  );
  return {
    method: 'code',
    target: input.target,
    code,
    command: `/link code:${code}`,
    expiresAt: challenge.expiresAt,
  };
}

/** Stores the Discord account on the user (one account, one user), in the caller's unit of work. */
async function storeAccount(
  em: EntityManager,
  userId: string,
  discordUserId: string,
  requestId: string | null,
): Promise<{ user: User; previous: string | null }> {
  const user = await em.findOne(User, { id: userId });
  if (!user) throw new LinkError('no-challenge', 'the user who started this link no longer exists');
  if (await em.findOne(User, { discordUserId, id: { $ne: userId } }, { fields: ['id'] }))
    throw new ConflictError(TAKEN);
  const before = user.discordUserId ?? null;
  if (before !== discordUserId) {
    user.discordUserId = discordUserId;
    audit(em, {
      actorId: userId,
      action: 'discord.link',
      subject: `user:${userId}`,
      before: { discordUserId: before },
      after: { discordUserId },
      requestId,
    });
  }
  return { user, previous: before === discordUserId ? null : before };
}

export interface DiscordOAuthResult {
  readonly userId: string;
  readonly target: string;
  readonly discordUserId: string;
  readonly username: string;
  /** The account the user had before this link (it leaves Roster's roles); null when none or the same. */
  readonly previousDiscordUserId: string | null;
  /** What became of the guild membership: added with roles, already there, or why not. */
  readonly guild: 'added' | 'alreadyMember' | 'notAuthorized' | 'noGuildsJoin' | 'failed';
  /** Why adding to the guild failed (Discord's message; never a token). */
  readonly guildProblem: string | null;
}

/**
 * The OAuth2 callback: checks the state (known, unexpired, unused, then spent), exchanges the
 * code, reads the Discord user, stores it on the user, and adds them to the guild with the
 * roles and nickname they should have, in one call, when they may log in. Then every Discord
 * target syncs the user and the account it replaced.
 */
export async function completeDiscordOAuth(
  app: ChallengeLinkContext,
  links: DiscordOAuthPorts,
  input: {
    state: string;
    code: string | null;
    error: string | null;
    redirectUri: string;
    requestId?: string | null;
  },
  now = new Date(),
): Promise<DiscordOAuthResult> {
  const unknown = 'this link is not known (it may have been replaced by a newer one); start the link again';
  const em = app.db.fork();
  const challenge = await claimLinkChallenge(em, 'discord-oauth', input.state, now, 'link', unknown);
  const { userId, target } = challenge;
  if (!userId || !target) throw new LinkError('no-challenge', unknown);
  if (input.error || !input.code) {
    throw new LinkError(
      'refused',
      input.error === 'access_denied'
        ? 'Discord authorization was declined; start the link again to retry'
        : 'Discord sent no authorization code; start the link again',
    );
  }

  let accessToken: string;
  let scopes: readonly string[];
  let discordUser: { id: string; username: string };
  try {
    const discord = links.discord(target);
    ({ accessToken, scopes } = await discord.exchangeCode({
      code: input.code,
      redirectUri: input.redirectUri,
    }));
    discordUser = await discord.fetchCurrentUser(accessToken);
  } catch (error) {
    if (error instanceof PlatformRefusedError)
      throw new LinkError('refused', 'Discord refused the authorization; start the link again', {
        cause: error,
      });
    throw new LinkError(
      'unavailable',
      'Discord could not be reached to finish the link; start it again in a moment',
      { cause: error },
    );
  }

  const requestId = input.requestId ?? null;
  let previousDiscordUserId: string | null;
  try {
    previousDiscordUserId = (await storeAccount(em, userId, discordUser.id, requestId)).previous;
    await em.flush();
  } catch (error) {
    throw asConflict(error, TAKEN);
  }

  let guild: DiscordOAuthResult['guild'] = 'notAuthorized';
  let guildProblem: string | null = null;
  const wanted = await wantedOnGuild(em.fork(), target, userId, discordUser.id);
  if (wanted.allowed && !scopes.includes('guilds.join')) guild = 'noGuildsJoin';
  else if (wanted.allowed) {
    try {
      guild = await links.discord(target).addGuildMember({
        userId: discordUser.id,
        accessToken,
        roles: wanted.roles,
        nick: wanted.nick,
      });
    } catch (error) {
      // The link stands; the member joins by invite and gets roles at the next run.
      guild = 'failed';
      guildProblem = error instanceof Error ? error.message : String(error);
    }
  }
  await discordLinked(app, userId, previousDiscordUserId);
  return {
    userId,
    target,
    discordUserId: discordUser.id,
    username: discordUser.username,
    previousDiscordUserId,
    guild,
    guildProblem,
  };
}

/** What became of the guild membership after an OAuth2 link, in words for the pilot. */
export function describeDiscordGuildOutcome(guild: DiscordOAuthResult['guild']): string {
  switch (guild) {
    case 'added':
      return 'You were added to the Discord server with your roles.';
    case 'alreadyMember':
      return 'You are already on the Discord server; your roles follow shortly.';
    case 'notAuthorized':
      return 'You were not added to the Discord server: your login is not authorized.';
    case 'noGuildsJoin':
      return 'You were not added to the Discord server: the authorization did not grant "guilds.join" (join servers for you). Join it with an invitation; your roles follow.';
    case 'failed':
      return 'Roster could not add you to the Discord server; join it with an invitation, your roles follow.';
  }
}

/** The roles and nickname the reconciler would give this account on the target right now. */
async function wantedOnGuild(em: EntityManager, target: string, userId: string, discordUserId: string) {
  const inputs = await loadSyncInputs(em, 'discord', target);
  const desired = desiredState('discord', inputs.dir, inputs.mappings, inputs.accountOf, inputs.membersOf);
  return {
    allowed: desired.login.get(userId)?.allowed ?? false,
    roles: desired.groups
      .filter((g) => g.platformGroupId !== null && g.members.has(discordUserId))
      .map((g) => g.platformGroupId!),
    nick: desired.nicknames.get(discordUserId) ?? null,
  };
}

/**
 * The `/link code:` slash command, sent by `discordUserId` in the guild of `target`. Then every
 * Discord target syncs the user and the account it replaced.
 */
export async function completeDiscordCode(
  app: ChallengeLinkContext,
  input: { target: string; code: string; discordUserId: string; requestId?: string | null },
  now = new Date(),
): Promise<{
  userId: string;
  discordUserId: string;
  characterName: string;
  previousDiscordUserId: string | null;
}> {
  const unknown = 'this code is not known; check it, or get a new one';
  const em = app.db.fork();
  const code = normalizeLinkCode(input.code);
  const challenge = code ? await findChallenge(em, 'discord-code', code) : null;
  if (!code || !challenge || !challenge.userId) throw new LinkError('no-challenge', unknown);
  if (challenge.target !== input.target)
    throw new LinkError(
      'foreign',
      'this code was made for another server; use it there, or get a code for this one',
    );
  checkUsable(challenge, now, 'code');
  const userId = challenge.userId;
  if (await em.findOne(User, { discordUserId: input.discordUserId, id: { $ne: userId } }, { fields: ['id'] }))
    throw new ConflictError(TAKEN);
  let stored: Awaited<ReturnType<typeof storeAccount>>;
  try {
    stored = await inTransaction(em, async (tx) => {
      // Checked above so that a refused code is not spent; claimed here, with the account stored.
      await claimLinkChallenge(tx, 'discord-code', code, now, 'code', unknown);
      const stored = await storeAccount(tx, userId, input.discordUserId, input.requestId ?? null);
      await tx.flush();
      return stored;
    });
  } catch (error) {
    throw asConflict(error, TAKEN);
  }
  await discordLinked(app, userId, stored.previous);
  return {
    userId,
    discordUserId: input.discordUserId,
    characterName: stored.user.characterName,
    previousDiscordUserId: stored.previous,
  };
}

/** completeLink for Discord: the link itself completes on Discord's side; this tells how it went. */
export async function checkDiscordLink(
  em: EntityManager,
  input: { userId: string; target: string },
  now = new Date(),
) {
  const latest = await em.findOne(
    Challenge,
    { userId: input.userId, target: input.target, kind: { $in: ['discord-oauth', 'discord-code'] } },
    { orderBy: { createdAt: 'desc' } },
  );
  if (!latest)
    throw new LinkError(
      'no-challenge',
      `no Discord link is pending on "${input.target}"; call discord.startLink first`,
    );
  const user = await em.findOne(User, { id: input.userId }, { fields: ['id', 'discordUserId'] });
  if (latest.usedAt && user?.discordUserId)
    return { linked: true as const, target: input.target, discordUserId: user.discordUserId };
  if (latest.usedAt)
    throw new LinkError(
      'used',
      'the last link was used but did not complete (declined, or refused by Discord); start a new one',
    );
  if (latest.expiresAt.getTime() <= now.getTime())
    throw new LinkError('expired', `the link expired at ${latest.expiresAt.toISOString()}; start a new one`);
  const todo =
    latest.kind === 'discord-code'
      ? 'send the /link command with your code in the Discord server'
      : 'open the link URL in a browser and authorize';
  throw new LinkError('pending', `not linked yet: ${todo} before ${latest.expiresAt.toISOString()}`);
}

/**
 * Forgets the user's Discord account, audited as `discord.unlink` by the author; every Discord
 * target then syncs the user and the account, so every managed role leaves it. Returns whether
 * there was one.
 */
export async function unlinkDiscord(app: UseCaseContext, input: { userId: string }): Promise<boolean> {
  const unlinked = await writeChange(app.db, app.author, async (tx, audit) => {
    const user = await tx.findOne(User, { id: input.userId });
    if (!user?.discordUserId) return null;
    // Read before the unlink: afterwards the account has no user to be found by.
    const scope = await linkScope(tx, [input.userId]);
    audit({
      action: 'discord.unlink',
      subject: `user:${input.userId}`,
      before: { discordUserId: user.discordUserId },
    });
    user.discordUserId = null;
    return scope;
  });
  if (!unlinked) return false;
  await app.notifier.targetChanged('discord', null, 'discord.unlink', unlinked);
  return true;
}

export async function discordLinkStatus(em: EntityManager, userId: string, now = new Date()) {
  const [user, pending] = await Promise.all([
    em.findOne(User, { id: userId }, { fields: ['id', 'discordUserId'] }),
    em.find(
      Challenge,
      { userId, kind: { $in: ['discord-oauth', 'discord-code'] }, usedAt: null, expiresAt: { $gt: now } },
      { orderBy: { target: 'asc' } },
    ),
  ]);
  return {
    discordUserId: user?.discordUserId ?? null,
    pending: pending.map((c) => ({
      target: c.target!,
      method: c.kind === 'discord-code' ? ('code' as const) : ('oauth' as const),
      expiresAt: c.expiresAt,
    })),
  };
}
