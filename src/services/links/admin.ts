/**
 * Links an admin records on a user's behalf (scope `user.link`): a Discord user id, and per
 * TeamSpeak target a unique id or client database id, which the target completes into both
 * (many at once). Every change is audited with it, in one flush; nothing is written for an entry
 * that is unknown on the platform or already linked to someone else: those are reported.
 */
import { TeamspeakLink, User } from '../../store/entities/index.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { newId } from '../../crypto.ts';
import { writeChange, type UseCaseContext } from '../use-case.ts';
import { LinkError } from './errors.ts';
import { linkScope } from './scope.ts';
import type { TeamspeakClientMatch, TeamspeakLinkPorts } from '../../domain/link-ports.ts';

/**
 * Sets (or, with null, clears) a user's Discord account; CONFLICT when another user has it. A
 * change syncs every Discord target for the user and the account they had.
 */
export async function setDiscordLink(
  app: UseCaseContext,
  input: { userId: string; discordUserId: string | null },
): Promise<{ changed: boolean; discordUserId: string | null }> {
  const change = await writeChange(app.db, app.author, async (tx, audit) => {
    // Read before the change: the account it replaces has no user afterwards.
    const scope = await linkScope(tx, [input.userId]);
    const user = await tx.findOne(User, { id: input.userId });
    if (!user) throw new NotFoundError('user', input.userId);
    const before = user.discordUserId ?? null;
    if (before === input.discordUserId) return { changed: false, discordUserId: before, scope };
    if (input.discordUserId !== null) {
      const holder = await tx.findOne(User, { discordUserId: input.discordUserId }, { fields: ['id'] });
      if (holder)
        throw new ConflictError(
          `Discord account ${input.discordUserId} is already linked to user ${holder.id}; unlink it there first`,
        );
    }
    user.discordUserId = input.discordUserId;
    audit({
      action: 'user.linkDiscord',
      subject: `user:${user.id}`,
      before: { discordUserId: before },
      after: { discordUserId: input.discordUserId },
    });
    return { changed: true, discordUserId: input.discordUserId, scope };
  });
  if (change.changed) await app.notifier.targetChanged('discord', null, 'user.linkDiscord', change.scope);
  return { changed: change.changed, discordUserId: change.discordUserId };
}

/** One TeamSpeak link to record: a unique id or a database id (or both); neither clears the link. */
export interface TeamspeakLinkEntry {
  readonly userId: string;
  readonly uniqueId?: string | null | undefined;
  readonly clientDbId?: string | null | undefined;
}

export type TeamspeakLinkOutcome =
  'linked' | 'unchanged' | 'cleared' | 'unknown-user' | 'unknown-on-target' | 'taken';

export interface TeamspeakLinkResult {
  readonly userId: string;
  readonly outcome: TeamspeakLinkOutcome;
  readonly clientDbId: string | null;
  readonly uniqueId: string | null;
  readonly reason?: string;
}

/**
 * Records TeamSpeak links on one target for many users at once. Ids that are not both given are
 * completed by the target (database ids in piped lookups, unique ids by `clientgetdbidfromuid` or
 * a `clientdblist` walk); given both, the target is not asked. The target then syncs the users
 * whose link changed, and the identities they held.
 */
export async function setTeamspeakLinks(
  app: UseCaseContext,
  platform: TeamspeakLinkPorts,
  input: { target: string; entries: readonly TeamspeakLinkEntry[] },
): Promise<TeamspeakLinkResult[]> {
  const { target } = input;
  const em = app.db.fork();
  // Read before the change: the identities it replaces or clears have no user afterwards.
  const scope = await linkScope(
    em,
    input.entries.map((e) => e.userId),
  );
  const entries = input.entries.map((e) => ({
    userId: e.userId,
    uniqueId: e.uniqueId ?? null,
    clientDbId: e.clientDbId ?? null,
  }));
  const incomplete = entries.filter((e) => (e.uniqueId === null) !== (e.clientDbId === null));
  let known: TeamspeakClientMatch[] = [];
  if (incomplete.length) {
    try {
      known = await platform.teamspeak(target).findKnownClients({
        uniqueIds: incomplete.flatMap((e) => (e.clientDbId === null && e.uniqueId ? [e.uniqueId] : [])),
        clientDbIds: incomplete.flatMap((e) => (e.uniqueId === null && e.clientDbId ? [e.clientDbId] : [])),
      });
    } catch (error) {
      throw new LinkError(
        'unavailable',
        `TeamSpeak target "${target}" could not be asked about its clients; try again shortly`,
        { cause: error },
      );
    }
  }
  const byUid = new Map(known.map((c) => [c.uniqueId, c]));
  const byDbId = new Map(known.map((c) => [c.clientDbId, c]));

  const userIds = [...new Set(entries.map((e) => e.userId))];
  const users = new Set((await em.find(User, { id: { $in: userIds } }, { fields: ['id'] })).map((u) => u.id));
  const links = await em.find(TeamspeakLink, { target });
  const linkOf = new Map(links.map((l) => [l.userId, l]));
  const holderOfUid = new Map(links.map((l) => [l.uniqueId, l.userId]));
  const holderOfDbId = new Map(links.map((l) => [l.clientDbId, l.userId]));

  const results = await writeChange(app.db, app.author, async (tx, audit) => {
    const results: TeamspeakLinkResult[] = [];
    const note = (r: TeamspeakLinkResult) => void results.push(r);
    for (const entry of entries) {
      const { userId } = entry;
      if (!users.has(userId)) {
        note({ userId, outcome: 'unknown-user', clientDbId: null, uniqueId: null, reason: 'no such user' });
        continue;
      }
      const current = linkOf.get(userId);
      const was = current ? { clientDbId: current.clientDbId, uniqueId: current.uniqueId } : undefined;
      if (entry.uniqueId === null && entry.clientDbId === null) {
        if (current) {
          tx.remove(tx.getReference(TeamspeakLink, current.id));
          linkOf.delete(userId);
          holderOfUid.delete(current.uniqueId);
          holderOfDbId.delete(current.clientDbId);
          audit({
            action: 'user.linkTeamspeak',
            subject: `user:${userId}`,
            before: { target, ...was },
            after: { target, cleared: true },
          });
        }
        note({ userId, outcome: current ? 'cleared' : 'unchanged', clientDbId: null, uniqueId: null });
        continue;
      }
      const client =
        entry.uniqueId !== null && entry.clientDbId !== null
          ? { uniqueId: entry.uniqueId, clientDbId: entry.clientDbId }
          : entry.uniqueId !== null
            ? byUid.get(entry.uniqueId)
            : byDbId.get(entry.clientDbId!);
      if (!client) {
        note({
          userId,
          outcome: 'unknown-on-target',
          clientDbId: entry.clientDbId,
          uniqueId: entry.uniqueId,
          reason: `TeamSpeak target "${target}" knows no client ${entry.uniqueId ?? `with database id ${entry.clientDbId}`}`,
        });
        continue;
      }
      const holder = [holderOfUid.get(client.uniqueId), holderOfDbId.get(client.clientDbId)].find(
        (h) => h !== undefined && h !== userId,
      );
      if (holder) {
        note({
          userId,
          outcome: 'taken',
          ...client,
          reason: `this TeamSpeak identity is already linked to user ${holder} on "${target}"`,
        });
        continue;
      }
      if (current && current.clientDbId === client.clientDbId && current.uniqueId === client.uniqueId) {
        note({ userId, outcome: 'unchanged', ...client });
        continue;
      }
      if (current) {
        holderOfUid.delete(current.uniqueId);
        holderOfDbId.delete(current.clientDbId);
        const row = await tx.findOneOrFail(TeamspeakLink, { id: current.id });
        row.clientDbId = client.clientDbId;
        row.uniqueId = client.uniqueId;
      } else {
        linkOf.set(userId, tx.create(TeamspeakLink, { id: newId(), userId, target, ...client }));
      }
      holderOfUid.set(client.uniqueId, userId);
      holderOfDbId.set(client.clientDbId, userId);
      audit({
        action: 'user.linkTeamspeak',
        subject: `user:${userId}`,
        before: was && { target, ...was },
        after: { target, ...client },
      });
      note({ userId, outcome: 'linked', ...client });
    }
    return results;
  });
  const changed = new Set(
    results.flatMap((r) => (r.outcome === 'linked' || r.outcome === 'cleared' ? [r.userId] : [])),
  );
  if (changed.size)
    await app.notifier.targetChanged('teamspeak', target, 'user.linkTeamspeak', {
      ...scope,
      users: scope.users.filter((u) => changed.has(u)),
    });
  return results;
}
