import type { EntityManager } from '@mikro-orm/core';
import { GUEST, type Actor, type Affiliation } from '../../domain/index.ts';
import { affiliationFor } from '../../store/affiliation.ts';
import { Alliance, Coalition, Corporation, User } from '../../store/entities/index.ts';
import { NotFoundError, RuleViolationError } from '../../domain/errors.ts';
import { asConflict } from '../../store/errors.ts';
import { iso } from '../format.ts';
import { toPage, type Page } from '../pagination.ts';
import { newUser } from '../../store/records.ts';
import { requireMay } from '../rights.ts';
import { writeChange, type UseCaseContext } from '../use-case.ts';

/**
 * Guests, as the EVE SSO login knows them: users of clearance -1 whose `corporationId` is the
 * corporation that invited them, not their own (the ESI affiliation refresh leaves guests alone).
 * They log in through their host's login cascade, get no rights and join no corporation autogroup.
 * An alliance's guests are those of its corporations; it invites into its executor corporation.
 *
 * Inviting records the character as a guest of the host (a placeholder user if it never logged
 * in: its next SSO login keeps the host). Removing a guest detaches it from the host: with no
 * corporation left, its login is refused unless its own flag allows it.
 */
export type HostKind = 'corporation' | 'alliance';
export interface Host {
  readonly kind: HostKind;
  /** The EVE id of the corporation or alliance. */
  readonly id: number;
}

const hostName = (host: Host) => `${host.kind} ${host.id}`;

/** The host must be in the directory; its affiliation is what relative scopes check. */
export async function hostAffiliation(em: EntityManager, host: Host): Promise<Affiliation> {
  if (host.kind === 'corporation') {
    if (!(await em.findOne(Corporation, { corporationId: host.id }, { fields: ['id'] })))
      throw new NotFoundError('corporation', host.id);
    return affiliationFor(em, { userId: null, corporationId: host.id });
  }
  if (!(await em.findOne(Alliance, { allianceId: host.id }, { fields: ['id'] })))
    throw new NotFoundError('alliance', host.id);
  const coalitions = await em.find(Coalition, {}, { fields: ['id', 'allianceIds'] });
  return {
    userId: null,
    corporationId: null,
    allianceId: host.id,
    coalitionIds: coalitions.filter((c) => c.allianceIds.includes(host.id)).map((c) => c.id),
  };
}

/** The corporations whose guests are the host's. */
async function hostCorporations(em: EntityManager, host: Host): Promise<number[]> {
  if (host.kind === 'corporation') return [host.id];
  return (await em.find(Corporation, { allianceId: host.id }, { fields: ['corporationId'] })).map(
    (c) => c.corporationId,
  );
}

export interface GuestView {
  readonly userId: string;
  readonly characterId: number;
  readonly characterName: string;
  /** The corporation hosting the guest (for an alliance, one of its corporations). */
  readonly corporationId: number;
  readonly authorizedToLogin: boolean | null;
  readonly lastLoginAt: string | null;
  readonly createdAt: string;
}

/** The host's guests, for whoever may read users there (`user.read` over the host). */
export async function listGuests(
  em: EntityManager,
  actor: Actor,
  host: Host,
  page: { cursor?: string | null | undefined; limit: number },
): Promise<Page<GuestView>> {
  requireMay(actor, 'user.read', { affiliation: await hostAffiliation(em, host) });
  const rows = await em.find(
    User,
    {
      clearanceLevel: { $lte: GUEST },
      corporationId: { $in: await hostCorporations(em, host) },
      ...(page.cursor ? { id: { $gt: page.cursor } } : {}),
    },
    { orderBy: { id: 'asc' }, limit: page.limit + 1 },
  );
  const { items, nextCursor } = toPage(rows, page.limit);
  return {
    items: items.map((u) => ({
      userId: u.id,
      characterId: u.characterId,
      characterName: u.characterName,
      corporationId: u.corporationId ?? 0,
      authorizedToLogin: u.authorizedToLogin ?? null,
      lastLoginAt: iso(u.lastLoginAt),
      createdAt: iso(u.createdAt),
    })),
    nextCursor,
  };
}

/**
 * Where the host's guests live, if the directory has that corporation: the corporation itself,
 * or the alliance's executor corporation. Null when it is not in the directory.
 */
export async function findHostingCorporation(em: EntityManager, host: Host): Promise<number | null> {
  const corporationId =
    host.kind === 'corporation'
      ? host.id
      : ((await em.findOne(Alliance, { allianceId: host.id }, { fields: ['executorCorporationId'] }))
          ?.executorCorporationId ?? null);
  if (corporationId === null) return null;
  return (await em.findOne(Corporation, { corporationId }, { fields: ['id'] })) ? corporationId : null;
}

/** Where the host's guests live; an alliance without a known executor corporation cannot host. */
async function hostingCorporation(em: EntityManager, host: Host): Promise<number> {
  if (host.kind === 'corporation') return host.id;
  const executor = await findHostingCorporation(em, host);
  if (executor === null) {
    throw new RuleViolationError(
      `alliance ${host.id} has no executor corporation in the directory to host guests (track it first)`,
    );
  }
  return executor;
}

/**
 * Records the character as a guest of the host, in the caller's unit of work (the login's, or
 * inviteGuest's); `changed` is false when it already was one.
 */
export async function recordGuest(
  em: EntityManager,
  host: Host,
  input: { characterId: number; characterName?: string | undefined },
) {
  const corporationId = await hostingCorporation(em, host);
  let user = await em.findOne(User, { characterId: input.characterId });
  if (user && user.clearanceLevel > GUEST) {
    throw new RuleViolationError(
      `${user.characterName} is a member (clearance ${user.clearanceLevel}), not a guest`,
    );
  }
  const before = user ? { corporationId: user.corporationId ?? null } : null;
  if (user && user.corporationId === corporationId)
    return { user, before, createdUser: false, changed: false };
  const createdUser = !user;
  if (!user) {
    if (!input.characterName)
      throw new RuleViolationError(`character ${input.characterId} never logged in: give characterName`);
    user = newUser(em, {
      characterId: input.characterId,
      characterName: input.characterName,
      corporationId,
      clearanceLevel: GUEST,
    });
  } else {
    user.corporationId = corporationId;
  }
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(
      error,
      `character ${input.characterId} was recorded by another request at the same time`,
    );
  }
  return { user, before, createdUser, changed: true };
}

/** The host's guests are invited and removed by whoever holds `corporation.guests` over it. */
async function requireGuestsScope(em: EntityManager, actor: Actor, host: Host): Promise<void> {
  requireMay(actor, 'corporation.guests', { affiliation: await hostAffiliation(em, host) });
}

/**
 * `corporation.guests.invite` / `alliance.guests.invite`: the character becomes a guest of the
 * host (see recordGuest), audited with where it was; when it was not one already (`changed`), the
 * directory changed.
 */
export async function inviteGuest(
  app: UseCaseContext,
  actor: Actor,
  host: Host,
  input: { characterId: number; characterName?: string | undefined },
) {
  const invited = await writeChange(app.db, app.author, async (tx, audit) => {
    await requireGuestsScope(tx, actor, host);
    const invited = await recordGuest(tx, host, input);
    const { user, before } = invited;
    if (invited.changed)
      audit({
        action: `${host.kind}.guests.invite`,
        subject: `user:${user.id}`,
        before,
        after: {
          corporationId: user.corporationId ?? null,
          clearanceLevel: user.clearanceLevel,
          host: `${host.kind}:${host.id}`,
        },
      });
    return invited;
  });
  if (invited.changed) await app.notifier.directoryChanged(`${host.kind}.guests.invite`);
  return invited;
}

/**
 * `corporation.guests.remove` / `alliance.guests.remove`: detaches the guest from the host,
 * audited; the directory then changed.
 */
export async function removeGuest(app: UseCaseContext, actor: Actor, host: Host, userId: string) {
  await writeChange(app.db, app.author, async (tx, audit) => {
    await requireGuestsScope(tx, actor, host);
    const { before, after } = await detachGuest(tx, host, userId);
    audit({ action: `${host.kind}.guests.remove`, subject: `user:${userId}`, before, after });
  });
  await app.notifier.directoryChanged(`${host.kind}.guests.remove`);
}

async function detachGuest(em: EntityManager, host: Host, userId: string) {
  const user = await em.findOne(User, { id: userId });
  const corporations = await hostCorporations(em, host);
  if (
    !user ||
    user.clearanceLevel > GUEST ||
    user.corporationId == null ||
    !corporations.includes(user.corporationId)
  ) {
    throw new NotFoundError(`guest of ${hostName(host)}`, userId);
  }
  const before = { corporationId: user.corporationId };
  user.corporationId = null;
  await em.flush();
  return { user, before, after: { corporationId: null } };
}
