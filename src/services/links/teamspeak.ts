import type { EntityManager } from '@mikro-orm/core';
import { Challenge, TeamspeakLink } from '../../store/entities/index.ts';
import { ConflictError } from '../../domain/errors.ts';
import { newId } from '../../crypto.ts';
import { asConflict } from '../../store/errors.ts';
import { inTransaction } from '../../store/transaction.ts';
import { audit } from '../audit.ts';
import { challengeHash, spendChallenges } from '../auth/challenges.ts';
import {
  LINK_NICKNAME,
  checkUsable,
  claimLinkChallenge,
  newLinkNickname,
  startChallenge,
} from '../auth/link-challenges.ts';
import type { Notifier } from '../notifier.ts';
import { writeChange, type UseCaseContext } from '../use-case.ts';
import { usersScope } from '../../sync/scope.ts';
import { LinkError } from './errors.ts';
import { linkScope } from './scope.ts';
import type { TeamspeakClientMatch, TeamspeakLinkPorts } from '../../domain/link-ports.ts';

const KIND = 'teamspeak-nickname';

export interface StartedTeamspeakLink {
  readonly target: string;
  /** Shown once; only its hash is stored. */
  readonly nickname: string;
  readonly expiresAt: Date;
}

export interface TeamspeakLinkView {
  readonly target: string;
  readonly clientDbId: string;
  readonly uniqueId: string;
  readonly linkedAt: Date;
}

/** What completeLink answers: the link, and whether this call made it or found it made. */
export interface CompletedTeamspeakLink extends TeamspeakLinkView {
  /** True when the pending link was already completed (by the link poller, or an earlier call). */
  readonly alreadyLinked: boolean;
  /** `linked as ...` or `already linked as ...`, for a person. */
  readonly message: string;
}

const completed = (link: TeamspeakLinkView, alreadyLinked: boolean): CompletedTeamspeakLink => ({
  ...link,
  alreadyLinked,
  message: `${alreadyLinked ? 'already linked' : 'linked'} as client database id ${link.clientDbId} (unique id ${link.uniqueId}) on TeamSpeak target "${link.target}"`,
});

const view = (l: TeamspeakLink): TeamspeakLinkView => ({
  target: l.target,
  clientDbId: l.clientDbId,
  uniqueId: l.uniqueId,
  linkedAt: l.createdAt,
});

/** A random, single-use nickname the user takes on TeamSpeak to prove which identity is theirs. */
export async function startTeamspeakLink(
  em: EntityManager,
  input: { userId: string; target: string; ttlSeconds: number; requestId?: string | null },
  now = new Date(),
): Promise<StartedTeamspeakLink> {
  const nickname = newLinkNickname();
  const challenge = await startChallenge(
    em,
    {
      kind: KIND,
      userId: input.userId,
      target: input.target,
      secret: nickname,
      ttlSeconds: input.ttlSeconds,
      requestId: input.requestId,
    },
    'teamspeak.startLink',
    {},
    now,
  );
  return { target: input.target, nickname, expiresAt: challenge.expiresAt };
}

/** The target's online clients (one `clientlist`); a target that does not answer is a LinkError. */
async function onlineClients(links: TeamspeakLinkPorts, target: string): Promise<TeamspeakClientMatch[]> {
  try {
    return await links.teamspeak(target).listOnlineClients();
  } catch (error) {
    throw new LinkError(
      'unavailable',
      `TeamSpeak target "${target}" could not be asked for online clients; try again shortly`,
      { cause: error },
    );
  }
}

/**
 * Completes the caller's pending link on the target: the one online client showing the link
 * nickname becomes the user's identity there (replacing a previous one). The nickname itself is
 * not stored, so it is found by hashing the link-shaped nicknames online. A link the poller (or an
 * earlier call) already completed is answered as such, not as a spent nickname. The audit entry
 * names the linking user, under the author's request id. A new link syncs the target for the
 * user and the identity it replaced; one the poller completed asked for its sync already.
 */
export async function completeTeamspeakLink(
  app: UseCaseContext,
  links: TeamspeakLinkPorts,
  input: { userId: string; target: string },
  now = new Date(),
): Promise<CompletedTeamspeakLink> {
  const em = app.db.fork();
  // Read before the link: the identity it replaces has no user afterwards.
  const scope = await linkScope(em, [input.userId]);
  const pending = await em.findOne(
    Challenge,
    { userId: input.userId, kind: KIND, target: input.target },
    { orderBy: { createdAt: 'desc' } },
  );
  if (!pending)
    throw new LinkError(
      'no-challenge',
      `no link is pending on TeamSpeak target "${input.target}"; call teamspeak.startLink first`,
    );
  if (pending.usedAt) {
    const link = await em.findOne(TeamspeakLink, { userId: input.userId, target: input.target });
    if (link) return completed(view(link), true);
  }
  checkUsable(pending, now, 'link nickname');
  const online = await onlineClients(links, input.target);
  const nickname = online
    .map((c) => c.nickname)
    .find((n) => LINK_NICKNAME.test(n) && challengeHash(KIND, n) === pending.secretHash);
  if (!nickname) {
    throw new LinkError(
      'not-found',
      `no client on TeamSpeak target "${input.target}" is online with your link nickname: connect (or rename yourself) with exactly the nickname teamspeak.startLink gave you before ${pending.expiresAt.toISOString()}, then complete again`,
    );
  }
  const link = await finish(em, pending, online, nickname, app.author.requestId, now);
  await app.notifier.targetChanged('teamspeak', input.target, 'teamspeak.link', scope);
  return completed(link, false);
}

/** Links the one identity among `online` (one listing of the target) that shows the nickname. */
async function finish(
  em: EntityManager,
  challenge: Challenge,
  online: readonly TeamspeakClientMatch[],
  nickname: string,
  requestId: string | null,
  now: Date,
): Promise<TeamspeakLinkView> {
  const userId = challenge.userId!;
  const target = challenge.target!;
  // One identity connected twice shows the nickname twice: that is still one identity.
  const clients = [
    ...new Map(
      online.filter((c) => c.nickname === nickname).map((c) => [`${c.clientDbId}/${c.uniqueId}`, c]),
    ).values(),
  ];
  if (clients.length > 1) {
    throw new LinkError(
      'ambiguous',
      `${clients.length} clients on TeamSpeak target "${target}" show your link nickname: nobody was linked; start a new link and keep its nickname to yourself`,
    );
  }
  const client = clients[0]!;
  const taken = await em.findOne(TeamspeakLink, {
    target,
    userId: { $ne: userId },
    $or: [{ clientDbId: client.clientDbId }, { uniqueId: client.uniqueId }],
  });
  if (taken)
    throw new ConflictError(
      `this TeamSpeak identity is already linked to another user on "${target}"; they must unlink it first`,
    );

  try {
    return await inTransaction(em, async (tx) => {
      await claimLinkChallenge(
        tx,
        KIND,
        nickname,
        now,
        'link nickname',
        `no link is pending on TeamSpeak target "${target}"; call teamspeak.startLink first`,
      );
      let link = await tx.findOne(TeamspeakLink, { userId, target });
      const before = link ? view(link) : undefined;
      if (link) {
        link.clientDbId = client.clientDbId;
        link.uniqueId = client.uniqueId;
      } else {
        link = tx.create(TeamspeakLink, {
          id: newId(),
          userId,
          target,
          clientDbId: client.clientDbId,
          uniqueId: client.uniqueId,
        });
      }
      audit(tx, {
        actorId: userId,
        action: 'teamspeak.link',
        subject: `user:${userId}`,
        before,
        after: { target, clientDbId: client.clientDbId, uniqueId: client.uniqueId },
        requestId,
      });
      await tx.flush();
      return view(link);
    });
  } catch (error) {
    throw asConflict(
      error,
      `this TeamSpeak identity is already linked to another user on "${target}"; they must unlink it first`,
    );
  }
}

/**
 * The periodic check: for every target with pending links, reads the online clients once and
 * completes every pending link whose nickname shows up exactly once (1,000 pending links cost one
 * `clientlist`). Returns the links made and the targets that could not be asked; a challenge that
 * cannot complete (ambiguous, identity taken) is left for the user's completeLink, which names the
 * problem. The daemon is the author, but each audit entry names the user whose nickname showed;
 * each link made syncs its target for its user.
 */
export async function completePendingTeamspeakLinks(
  em: EntityManager,
  links: TeamspeakLinkPorts,
  notifier: Notifier,
  now = new Date(),
): Promise<{ linked: { userId: string; target: string }[]; unavailable: string[] }> {
  const pending = await em.find(
    Challenge,
    { kind: KIND, usedAt: null, expiresAt: { $gt: now } },
    { fields: ['target'] },
  );
  const targets = [
    ...new Set(pending.map((c) => c.target).filter((t): t is string => t !== null && t !== undefined)),
  ];
  const linked: { userId: string; target: string }[] = [];
  const unavailable: string[] = [];
  /** Records a committed link and asks for its sync. */
  const made = async (userId: string, target: string) => {
    linked.push({ userId, target });
    await notifier.targetChanged('teamspeak', target, 'teamspeak.link', usersScope([userId]));
  };
  for (const target of targets) {
    let online: TeamspeakClientMatch[];
    try {
      online = await onlineClients(links, target);
    } catch (error) {
      // This target is down; the others still get their check.
      if (error instanceof LinkError) {
        unavailable.push(target);
        continue;
      }
      throw error;
    }
    const nicknames = [...new Set(online.map((c) => c.nickname).filter((n) => LINK_NICKNAME.test(n)))];
    if (nicknames.length === 0) continue;
    const hashes = new Map(nicknames.map((n) => [challengeHash(KIND, n), n]));
    const found = await em.find(Challenge, {
      kind: KIND,
      target,
      usedAt: null,
      expiresAt: { $gt: now },
      secretHash: { $in: [...hashes.keys()] },
    });
    const batch = await finishAll(em.fork(), target, found, online, hashes, now);
    for (const userId of batch) await made(userId, target);
    if (batch.length) continue;
    // The batch could not be written as one (a race with completeLink, an identity just taken):
    // each link on its own, so the others still complete.
    for (const challenge of found) {
      try {
        await finish(em.fork(), challenge, online, hashes.get(challenge.secretHash)!, null, now);
      } catch (error) {
        if (!(error instanceof LinkError || error instanceof ConflictError)) throw error;
        continue;
      }
      await made(challenge.userId!, target);
    }
  }
  return { linked, unavailable };
}

/** Thrown inside the batch's transaction to roll it back. */
class BatchRaced extends Error {}

/**
 * The periodic check's fast path: every challenge whose nickname exactly one identity shows, and
 * whose identity nobody else holds, is claimed and linked in one transaction (with its audit
 * entry). Returns the users linked; [] when there was nothing to do or the batch had to be rolled
 * back (then the caller completes them one by one, which names each problem).
 */
async function finishAll(
  em: EntityManager,
  target: string,
  challenges: readonly Challenge[],
  online: readonly TeamspeakClientMatch[],
  hashes: ReadonlyMap<string, string>,
  now: Date,
): Promise<string[]> {
  const byNickname = new Map<string, Map<string, TeamspeakClientMatch>>();
  for (const c of online) {
    const same = byNickname.get(c.nickname) ?? new Map<string, TeamspeakClientMatch>();
    same.set(`${c.clientDbId}/${c.uniqueId}`, c);
    byNickname.set(c.nickname, same);
  }
  const ready = challenges.flatMap((challenge) => {
    const clients = [...(byNickname.get(hashes.get(challenge.secretHash)!)?.values() ?? [])];
    return clients.length === 1 ? [{ challenge, client: clients[0]!, userId: challenge.userId! }] : [];
  });
  if (ready.length === 0) return [];
  const taken = await em.find(TeamspeakLink, {
    target,
    $or: [
      { clientDbId: { $in: ready.map((r) => r.client.clientDbId) } },
      { uniqueId: { $in: ready.map((r) => r.client.uniqueId) } },
    ],
  });
  const userIds = new Set(ready.map((r) => r.userId));
  const claimer = new Map<string, string>();
  for (const r of ready) {
    claimer.set(`db:${r.client.clientDbId}`, r.userId);
    claimer.set(`uid:${r.client.uniqueId}`, r.userId);
  }
  const heldByOther = (l: TeamspeakLink) =>
    [claimer.get(`db:${l.clientDbId}`), claimer.get(`uid:${l.uniqueId}`)].some(
      (u) => u !== undefined && u !== l.userId,
    );
  if (taken.some(heldByOther)) return [];
  try {
    return await inTransaction(em, async (tx) => {
      const claimed = await spendChallenges(
        tx,
        ready.map((r) => r.challenge.id),
        now,
      );
      if (claimed !== ready.length) throw new BatchRaced();
      const existing = new Map(
        (await tx.find(TeamspeakLink, { target, userId: { $in: [...userIds] } })).map((l) => [l.userId, l]),
      );
      for (const { userId, client } of ready) {
        let link = existing.get(userId);
        const before = link ? view(link) : undefined;
        if (link) {
          link.clientDbId = client.clientDbId;
          link.uniqueId = client.uniqueId;
        } else {
          link = tx.create(TeamspeakLink, { id: newId(), userId, target, ...pick(client) });
        }
        audit(tx, {
          actorId: userId,
          action: 'teamspeak.link',
          subject: `user:${userId}`,
          before,
          after: { target, ...pick(client) },
          requestId: null,
        });
      }
      await tx.flush();
      return ready.map((r) => r.userId);
    });
  } catch (error) {
    if (error instanceof BatchRaced || asConflict(error, '') instanceof ConflictError) return [];
    throw error;
  }
}

const pick = (c: TeamspeakClientMatch) => ({ clientDbId: c.clientDbId, uniqueId: c.uniqueId });

/**
 * Forgets the user's identity on the target, audited as `teamspeak.unlink` by the author; the
 * target then syncs the user and the identity, so every managed server group leaves it. Returns
 * whether there was a link.
 */
export async function unlinkTeamspeak(
  app: UseCaseContext,
  input: { userId: string; target: string },
): Promise<boolean> {
  const unlinked = await writeChange(app.db, app.author, async (tx, audit) => {
    const link = await tx.findOne(TeamspeakLink, { userId: input.userId, target: input.target });
    if (!link) return null;
    // Read before the unlink: afterwards the identity has no user to be found by.
    const scope = await linkScope(tx, [input.userId]);
    audit({ action: 'teamspeak.unlink', subject: `user:${input.userId}`, before: view(link) });
    tx.remove(link);
    return scope;
  });
  if (!unlinked) return false;
  await app.notifier.targetChanged('teamspeak', input.target, 'teamspeak.unlink', unlinked);
  return true;
}

export async function teamspeakLinkStatus(em: EntityManager, userId: string, now = new Date()) {
  const [links, pending] = await Promise.all([
    em.find(TeamspeakLink, { userId }, { orderBy: { target: 'asc' } }),
    em.find(
      Challenge,
      { userId, kind: KIND, usedAt: null, expiresAt: { $gt: now } },
      { orderBy: { target: 'asc' } },
    ),
  ]);
  return {
    links: links.map(view),
    pending: pending.map((c) => ({ target: c.target!, expiresAt: c.expiresAt })),
  };
}
