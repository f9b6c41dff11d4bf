/**
 * Importing a community from another system (Alliance Auth, SeAT Navy Issue). The readers in
 * src/import turn an export into an ImportSource (plain data, the problems they saw); this use
 * case compares it with the directory (`planImport`: what would be created, updated, left alone,
 * and every problem record with its reason), then writes it all or nothing (`applyImport`: one
 * transaction where the database has them; MongoDB has none here: an interrupted run is finished
 * by running it again, which plans against what is there, while the unique indexes on the natural
 * keys keep any row from being written twice). Running it again changes nothing.
 */
import type { EntityManager } from '@mikro-orm/core';
import { ROOT_CHARACTER_ID } from '../domain/index.ts';
import {
  Alliance,
  Coalition,
  Corporation,
  Group,
  GroupMapping,
  GroupMember,
  TeamspeakLink,
  User,
} from '../store/entities/index.ts';
import { newId } from '../crypto.ts';
import { newAlliance, newCorporation, newUser } from '../store/records.ts';
import { plainRows } from '../store/plain-rows.ts';
import { rebuildAutogroupsWithin } from './autogroups.ts';
import { inTransaction } from '../store/transaction.ts';
import { audit } from './audit.ts';
import type { ResolvedTeamspeak } from './import-teamspeak.ts';
import type {
  ImportSystem,
  ImportProblem,
  SourceTeamspeakIdentity,
  SourceUser,
  SourceAutogroupMapping,
  ImportSource,
} from '../import/source.ts';

export type {
  ImportSystem,
  ImportProblem,
  SourceAlliance,
  SourceCorporation,
  SourceCoalition,
  SourceTeamspeakIdentity,
  SourceUser,
  SourceMapping,
  SourceGroup,
  SourceAutogroupMapping,
  ImportSource,
} from '../import/source.ts';

/** Which platform target imported mappings go to; null leaves that platform out. */
export interface ImportTargets {
  readonly teamspeak: string | null;
  readonly discord: string | null;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportPlan {
  readonly system: ImportSystem;
  readonly counts: Record<
    | 'alliances'
    | 'corporations'
    | 'coalitions'
    | 'users'
    | 'groups'
    | 'memberships'
    | 'mappings'
    | 'teamspeakLinks',
    Counts
  >;
  readonly problems: ImportProblem[];
  /**
   * TeamSpeak identities left unlinked because no TeamSpeak target was asked about them (none
   * configured): record them later with `user.linkTeamspeak`. Empty when a target resolved them.
   */
  readonly teamspeakIdentities: ({ characterId: number } & SourceTeamspeakIdentity)[];
  /** True when applying would change nothing. */
  readonly upToDate: boolean;
}

const zero = (): Counts => ({ created: 0, updated: 0, unchanged: 0 });
const sameList = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length &&
  [...a].map(String).sort().join('\u0001') === [...b].map(String).sort().join('\u0001');

/** Options of an import beyond the source and the targets. */
export interface ImportOptions {
  /** The TeamSpeak identities as the target resolved them; absent: they are only listed. */
  readonly teamspeak?: ResolvedTeamspeak;
}

const USER_FIELDS = [
  'id',
  'characterId',
  'characterName',
  'corporationId',
  'clearanceLevel',
  'authorizedToLogin',
  'discordUserId',
] as const;
type UserRow = Pick<User, (typeof USER_FIELDS)[number]>;

/**
 * Everything the directory already has that an import touches, read once. Users, memberships and
 * links (tens of thousands of rows) are read as plain rows, not entities: nothing of them sits in
 * the identity map while the import writes (store/plain-rows.ts).
 */
async function loadDirectory(em: EntityManager, teamspeakTarget: string | null) {
  const [alliances, corporations, coalitions, users, groups, members, mappings, links] = await Promise.all([
    em.find(Alliance, {}),
    em.find(Corporation, {}),
    em.find(Coalition, {}),
    plainRows(em, User, {}, USER_FIELDS),
    em.find(Group, {}),
    plainRows(em, GroupMember, {}, ['groupId', 'userId']),
    em.find(GroupMapping, {}),
    teamspeakTarget === null
      ? Promise.resolve([])
      : plainRows(em, TeamspeakLink, { target: teamspeakTarget }, ['id', 'userId', 'clientDbId', 'uniqueId']),
  ]);
  const characterOfUser = new Map(users.map((u) => [u.id, u.characterId]));
  return {
    teamspeakLinks: new Map(links.map((l) => [characterOfUser.get(l.userId)!, l])),
    alliances: new Map(alliances.map((a) => [a.allianceId, a])),
    corporations: new Map(corporations.map((c) => [c.corporationId, c])),
    coalitions: new Map(coalitions.map((c) => [c.name, c])),
    users: new Map<number, UserRow>(users.map((u) => [u.characterId, u])),
    discordHolders: new Map(
      users.flatMap((u) => (u.discordUserId ? [[u.discordUserId, u.characterId]] : [])),
    ),
    groups: new Map(groups.map((g) => [g.name.toLowerCase(), g])),
    autogroups: new Map(groups.flatMap((g) => (g.kind === 'auto' && g.autoKey ? [[g.autoKey, g]] : []))),
    members: new Set(members.map((m) => `${m.groupId}/${m.userId}`)),
    mappings: new Map(mappings.map((m) => [`${m.groupId}/${m.platform}/${m.target}`, m])),
  };
}
type Directory = Awaited<ReturnType<typeof loadDirectory>>;

/**
 * The decisions of an import, record by record, against the directory as it is: the dry run
 * prints them, the real run carries them out. Pure over the loaded directory.
 */
function decide(
  source: ImportSource,
  dir: Directory,
  targets: ImportTargets,
  resolved: ResolvedTeamspeak | undefined,
) {
  const problems: ImportProblem[] = [...source.problems];
  const counts: ImportPlan['counts'] = {
    alliances: zero(),
    corporations: zero(),
    coalitions: zero(),
    users: zero(),
    groups: zero(),
    memberships: zero(),
    mappings: zero(),
    teamspeakLinks: zero(),
  };
  const tally = (c: Counts, existing: unknown, changed: boolean) =>
    void (existing === undefined ? c.created++ : changed ? c.updated++ : c.unchanged++);

  for (const a of source.alliances) {
    const e = dir.alliances.get(a.allianceId);
    tally(
      counts.alliances,
      e,
      !!e &&
        (e.name !== a.name ||
          e.ticker !== a.ticker ||
          (e.executorCorporationId ?? null) !== a.executorCorporationId ||
          (a.authorizedToLogin !== undefined && (e.authorizedToLogin ?? null) !== a.authorizedToLogin) ||
          (a.mandatoryEsiScopes !== undefined && !sameList(e.mandatoryEsiScopes, a.mandatoryEsiScopes))),
    );
  }
  const allianceKnown = new Set([...dir.alliances.keys(), ...source.alliances.map((a) => a.allianceId)]);
  const corporations = source.corporations.map((c) => {
    if (c.allianceId !== null && !allianceKnown.has(c.allianceId)) {
      problems.push({
        record: `corporation ${c.corporationId} (${c.name})`,
        reason: `its alliance ${c.allianceId} is in neither the export nor the directory: imported without alliance`,
      });
      return { ...c, allianceId: null };
    }
    return c;
  });
  for (const c of corporations) {
    const e = dir.corporations.get(c.corporationId);
    tally(
      counts.corporations,
      e,
      !!e &&
        (e.name !== c.name ||
          e.ticker !== c.ticker ||
          (e.allianceId ?? null) !== c.allianceId ||
          (c.ceoCharacterId !== null && (e.ceoCharacterId ?? null) !== c.ceoCharacterId) ||
          (c.authorizedToLogin !== undefined && (e.authorizedToLogin ?? null) !== c.authorizedToLogin) ||
          (c.mandatoryEsiScopes !== undefined && !sameList(e.mandatoryEsiScopes, c.mandatoryEsiScopes))),
    );
  }
  const corporationKnown = new Set([...dir.corporations.keys(), ...corporations.map((c) => c.corporationId)]);
  const coalitions = source.coalitions.map((c) => ({
    ...c,
    allianceIds: c.allianceIds.filter((id) => allianceKnown.has(id)),
    corporationIds: c.corporationIds.filter((id) => corporationKnown.has(id)),
  }));
  for (const c of coalitions) {
    const e = dir.coalitions.get(c.name);
    tally(
      counts.coalitions,
      e,
      !!e &&
        (e.ticker !== c.ticker ||
          !sameList(e.allianceIds, c.allianceIds) ||
          !sameList(e.corporationIds, c.corporationIds) ||
          (c.authorizedToLogin !== undefined && (e.authorizedToLogin ?? null) !== c.authorizedToLogin) ||
          (c.mandatoryEsiScopes !== undefined && !sameList(e.mandatoryEsiScopes, c.mandatoryEsiScopes))),
    );
  }

  const discordClaimed = new Map<string, number>();
  const teamspeakIdentities: ImportPlan['teamspeakIdentities'] = [];
  const users = source.users.flatMap((u) => {
    if (u.characterId === ROOT_CHARACTER_ID) return []; // root stays root
    let user = u;
    if (u.corporationId !== null && !corporationKnown.has(u.corporationId)) {
      problems.push({
        record: `character ${u.characterId} (${u.characterName})`,
        reason: `corporation ${u.corporationId} is in neither the export nor the directory: imported without corporation`,
      });
      user = { ...user, corporationId: null };
    }
    if (u.discordUserId) {
      const holder = discordClaimed.get(u.discordUserId) ?? dir.discordHolders.get(u.discordUserId);
      if (holder !== undefined && holder !== u.characterId) {
        problems.push({
          record: `character ${u.characterId} (${u.characterName})`,
          reason: `Discord account ${u.discordUserId} is already linked to character ${holder}: not linked`,
        });
        user = { ...user, discordUserId: undefined };
      } else discordClaimed.set(u.discordUserId, u.characterId);
    }
    if (!resolved && u.teamspeak && (u.teamspeak.ssoUid || u.teamspeak.uniqueId || u.teamspeak.clientDbId))
      teamspeakIdentities.push({ characterId: u.characterId, ...u.teamspeak });
    const e = dir.users.get(u.characterId);
    tally(counts.users, e, !!e && userChanges(e, user));
    return [user];
  });
  const userKnown = new Set([...dir.users.keys(), ...users.map((u) => u.characterId)]);
  const teamspeakLinks = resolved ? decideTeamspeakLinks(users, dir, resolved, problems) : [];
  for (const l of teamspeakLinks) {
    const e = dir.teamspeakLinks.get(l.characterId);
    tally(counts.teamspeakLinks, e, !!e && (e.clientDbId !== l.clientDbId || e.uniqueId !== l.uniqueId));
  }

  const seen = new Map<string, string>();
  const groups = source.groups.flatMap((g) => {
    const key = g.name.toLowerCase();
    const clash = seen.get(key);
    if (clash !== undefined) {
      problems.push({
        record: `group "${g.name}"`,
        reason: `its name differs only by case from group "${clash}": not imported (rename one in the source)`,
      });
      return [];
    }
    seen.set(key, g.name);
    const existing = dir.groups.get(key);
    if (existing && (existing.kind === 'auto' || existing.name !== g.name)) {
      problems.push({
        record: `group "${g.name}"`,
        reason:
          existing.kind === 'auto'
            ? 'Roster keeps an autogroup of that name: not imported'
            : `the directory has group "${existing.name}" (differs only by case): not imported`,
      });
      return [];
    }
    const dangling = g.memberCharacterIds.filter((id) => !userKnown.has(id));
    for (const id of dangling)
      problems.push({
        record: `group "${g.name}"`,
        reason: `member character ${id} is not imported: left out`,
      });
    const owner =
      g.ownerCharacterId !== null && userKnown.has(g.ownerCharacterId) ? g.ownerCharacterId : null;
    const mappings = g.mappings.flatMap((m) => {
      const target = targets[m.platform];
      return target === null ? [] : [{ ...m, target }];
    });
    tally(
      counts.groups,
      existing,
      !!existing &&
        (existing.description !== g.description ||
          (g.authorizedToLogin !== undefined &&
            (existing.authorizedToLogin ?? null) !== g.authorizedToLogin) ||
          (owner !== null && dir.users.get(owner)?.id !== existing.ownerId)),
    );
    const members = [...new Set(g.memberCharacterIds.filter((id) => userKnown.has(id)))];
    for (const id of members) {
      const userId = dir.users.get(id)?.id;
      tally(
        counts.memberships,
        existing && userId && dir.members.has(`${existing.id}/${userId}`) ? true : undefined,
        false,
      );
    }
    for (const m of mappings) {
      const e = existing && dir.mappings.get(`${existing.id}/${m.platform}/${m.target}`);
      tally(counts.mappings, e, !!e && m.platformGroupId !== null && e.platformGroupId !== m.platformGroupId);
    }
    return [{ ...g, ownerCharacterId: owner, memberCharacterIds: members, mappings }];
  });

  const autogroupMappings = (source.autogroupMappings ?? []).map((a) => {
    const key = autogroupKey(a.of, (name) => dir.coalitions.get(name)?.id);
    const group = key === null ? undefined : dir.autogroups.get(key);
    const mappings = a.mappings.flatMap((m) => {
      const target = targets[m.platform];
      if (target === null) return [];
      const e = group && dir.mappings.get(`${group.id}/${m.platform}/${target}`);
      tally(counts.mappings, e, !!e && e.platformGroupId !== m.platformGroupId);
      return [{ ...m, target }];
    });
    return { ...a, mappings };
  });

  const upToDate = Object.values(counts).every((c) => c.created === 0 && c.updated === 0);
  return {
    autogroupMappings,
    alliances: source.alliances,
    corporations,
    coalitions,
    users,
    groups,
    problems,
    counts,
    teamspeakIdentities,
    teamspeakLinks,
    upToDate,
  };
}

/**
 * The links an import records on the resolved target: one per user whose client the target
 * knows, unless that client is linked to another character already (or two imported users claim
 * it): those are problems, not linked.
 */
function decideTeamspeakLinks(
  users: readonly SourceUser[],
  dir: Directory,
  resolved: ResolvedTeamspeak,
  problems: ImportProblem[],
) {
  problems.push(...resolved.problems);
  const holders = new Map<string, number>();
  for (const [characterId, l] of dir.teamspeakLinks) {
    holders.set(`db:${l.clientDbId}`, characterId);
    holders.set(`uid:${l.uniqueId}`, characterId);
  }
  const links: { characterId: number; clientDbId: string; uniqueId: string }[] = [];
  for (const u of users) {
    const client = resolved.clients.get(u.characterId);
    if (!client) continue;
    const keys = [`db:${client.clientDbId}`, `uid:${client.uniqueId}`];
    const holder = keys.map((k) => holders.get(k)).find((h) => h !== undefined && h !== u.characterId);
    if (holder !== undefined) {
      problems.push({
        record: `character ${u.characterId} (${u.characterName})`,
        reason: `TeamSpeak client ${client.clientDbId} on "${resolved.target}" is already linked to character ${holder}: not linked`,
      });
      continue;
    }
    const previous = dir.teamspeakLinks.get(u.characterId);
    if (previous)
      for (const k of [`db:${previous.clientDbId}`, `uid:${previous.uniqueId}`]) holders.delete(k);
    for (const k of keys) holders.set(k, u.characterId);
    links.push({ characterId: u.characterId, ...client });
  }
  return links;
}

function userChanges(e: UserRow, u: SourceUser): boolean {
  return (
    e.characterName !== u.characterName ||
    (e.corporationId ?? null) !== u.corporationId ||
    (u.clearanceLevel !== undefined && e.clearanceLevel !== u.clearanceLevel) ||
    (u.authorizedToLogin !== undefined && (e.authorizedToLogin ?? null) !== u.authorizedToLogin) ||
    (!!u.discordUserId && e.discordUserId !== u.discordUserId)
  );
}

/** The store's key of an autogroup (domain/autogroups.ts); null for a coalition not written yet. */
function autogroupKey(
  of: SourceAutogroupMapping['of'],
  coalitionId: (name: string) => string | undefined,
): string | null {
  switch (of.kind) {
    case 'corporation':
      return `corporation:${of.corporationId}`;
    case 'alliance':
      return `alliance:${of.allianceId}`;
    case 'coalition': {
      const id = coalitionId(of.name);
      return id === undefined ? null : `coalition:${id}`;
    }
    case 'builtin':
      return `builtin:${of.name}`;
  }
}

/** Rows created between two flushes of an import; the identity map is emptied after each. */
const IMPORT_BATCH = 1000;

function batchedWrites(tx: EntityManager) {
  let pending = 0;
  return {
    async added() {
      if (++pending < IMPORT_BATCH) return;
      pending = 0;
      await tx.flush();
      tx.clear();
    },
  };
}

/** The resolved identities must be those of the import's TeamSpeak target. */
function checkedResolution(targets: ImportTargets, options: ImportOptions): ResolvedTeamspeak | undefined {
  const resolved = options.teamspeak;
  if (resolved && resolved.target !== targets.teamspeak)
    throw new Error(
      `TeamSpeak identities resolved on "${resolved.target}", but the import maps to "${String(targets.teamspeak)}"`,
    );
  return resolved;
}

/** The dry run: what applying would do, and every problem record. Writes nothing. */
export async function planImport(
  em: EntityManager,
  source: ImportSource,
  targets: ImportTargets,
  options: ImportOptions = {},
): Promise<ImportPlan> {
  const resolved = checkedResolution(targets, options);
  const d = decide(source, await loadDirectory(em, resolved?.target ?? null), targets, resolved);
  return {
    system: source.system,
    counts: d.counts,
    problems: d.problems,
    teamspeakIdentities: d.teamspeakIdentities,
    upToDate: d.upToDate,
  };
}

/**
 * Writes the import, all or nothing, with one audit entry (its counts) in the same transaction.
 * Returns the plan it carried out.
 */
export async function applyImport(
  em: EntityManager,
  source: ImportSource,
  targets: ImportTargets,
  actorId: string | null,
  options: ImportOptions = {},
): Promise<ImportPlan> {
  const resolved = checkedResolution(targets, options);
  return inTransaction(em, async (tx) => {
    const dir = await loadDirectory(tx, resolved?.target ?? null);
    const d = decide(source, dir, targets, resolved);
    for (const a of d.alliances) {
      const e =
        dir.alliances.get(a.allianceId) ??
        newAlliance(tx, { allianceId: a.allianceId, name: a.name, ticker: a.ticker });
      e.name = a.name;
      e.ticker = a.ticker;
      e.executorCorporationId = a.executorCorporationId;
      if (a.authorizedToLogin !== undefined) e.authorizedToLogin = a.authorizedToLogin;
      if (a.mandatoryEsiScopes !== undefined) e.mandatoryEsiScopes = [...a.mandatoryEsiScopes].sort();
    }
    for (const c of d.corporations) {
      const e =
        dir.corporations.get(c.corporationId) ??
        newCorporation(tx, { corporationId: c.corporationId, name: c.name, ticker: c.ticker });
      e.name = c.name;
      e.ticker = c.ticker;
      e.allianceId = c.allianceId;
      if (c.ceoCharacterId !== null) e.ceoCharacterId = c.ceoCharacterId;
      if (c.authorizedToLogin !== undefined) e.authorizedToLogin = c.authorizedToLogin;
      if (c.mandatoryEsiScopes !== undefined) e.mandatoryEsiScopes = [...c.mandatoryEsiScopes].sort();
    }
    for (const c of d.coalitions) {
      const e =
        dir.coalitions.get(c.name) ??
        tx.create(Coalition, {
          id: newId(),
          name: c.name,
          ticker: c.ticker,
          description: '',
          allianceIds: [],
          corporationIds: [],
          authorizedToLogin: null,
          mandatoryEsiScopes: [],
        });
      e.ticker = c.ticker;
      e.allianceIds = [...c.allianceIds];
      e.corporationIds = [...c.corporationIds];
      if (c.authorizedToLogin !== undefined) e.authorizedToLogin = c.authorizedToLogin;
      if (c.mandatoryEsiScopes !== undefined) e.mandatoryEsiScopes = [...c.mandatoryEsiScopes].sort();
    }
    // Ids of the users to be, known now: groups name their owners before the users are written.
    const userIdOf = new Map([...dir.users].map(([characterId, u]) => [characterId, u.id]));
    for (const u of d.users) if (!userIdOf.has(u.characterId)) userIdOf.set(u.characterId, newId());
    const groupIdOf = new Map<string, string>();
    for (const g of d.groups) {
      const existing = dir.groups.get(g.name.toLowerCase());
      const group =
        existing ??
        tx.create(Group, {
          id: newId(),
          name: g.name,
          description: g.description,
          ownerId: null,
          kind: 'manual',
          autoKey: null,
          authorizedToLogin: null,
        });
      groupIdOf.set(g.name, group.id);
      group.description = g.description;
      if (g.authorizedToLogin !== undefined) group.authorizedToLogin = g.authorizedToLogin;
      if (g.ownerCharacterId !== null) group.ownerId = userIdOf.get(g.ownerCharacterId)!;
      for (const m of g.mappings) {
        const e = dir.mappings.get(`${group.id}/${m.platform}/${m.target}`);
        if (e) {
          if (m.platformGroupId !== null) e.platformGroupId = m.platformGroupId;
          continue;
        }
        tx.create(GroupMapping, {
          id: newId(),
          groupId: group.id,
          platform: m.platform,
          target: m.target,
          platformGroupId: m.platformGroupId,
          displayName: m.displayName && m.displayName !== group.name ? m.displayName : null,
          mode: 'managed',
        });
      }
    }
    await tx.flush();

    // The many rows: changed users one UPDATE each, new rows flushed a batch at a time with the
    // identity map cleared in between, so memory stays flat however large the export.
    const batch = batchedWrites(tx);
    for (const u of d.users) {
      const e = dir.users.get(u.characterId);
      if (e) {
        if (userChanges(e, u))
          await tx.nativeUpdate(
            User,
            { id: e.id },
            {
              characterName: u.characterName,
              corporationId: u.corporationId,
              ...(u.clearanceLevel !== undefined ? { clearanceLevel: u.clearanceLevel } : {}),
              ...(u.authorizedToLogin !== undefined ? { authorizedToLogin: u.authorizedToLogin } : {}),
              ...(u.discordUserId ? { discordUserId: u.discordUserId } : {}),
              updatedAt: new Date(),
            },
          );
        continue;
      }
      newUser(tx, {
        id: userIdOf.get(u.characterId)!,
        characterId: u.characterId,
        characterName: u.characterName,
        corporationId: u.corporationId,
        ...(u.clearanceLevel !== undefined ? { clearanceLevel: u.clearanceLevel } : {}),
        ...(u.authorizedToLogin !== undefined ? { authorizedToLogin: u.authorizedToLogin } : {}),
        ...(u.discordUserId ? { discordUserId: u.discordUserId } : {}),
      });
      await batch.added();
    }
    for (const g of d.groups) {
      const groupId = groupIdOf.get(g.name)!;
      for (const characterId of g.memberCharacterIds) {
        const userId = userIdOf.get(characterId)!;
        if (dir.members.has(`${groupId}/${userId}`)) continue;
        tx.create(GroupMember, { id: newId(), groupId, userId });
        await batch.added();
      }
    }
    for (const l of d.teamspeakLinks) {
      const e = dir.teamspeakLinks.get(l.characterId);
      if (e) {
        if (e.clientDbId !== l.clientDbId || e.uniqueId !== l.uniqueId)
          await tx.nativeUpdate(
            TeamspeakLink,
            { id: e.id },
            { clientDbId: l.clientDbId, uniqueId: l.uniqueId },
          );
        continue;
      }
      tx.create(TeamspeakLink, {
        id: newId(),
        userId: userIdOf.get(l.characterId)!,
        target: resolved!.target,
        clientDbId: l.clientDbId,
        uniqueId: l.uniqueId,
      });
      await batch.added();
    }
    if (d.autogroupMappings.some((a) => a.mappings.length > 0)) {
      // The autogroups exist, with their members, before their mappings do, in this transaction:
      // a run never sees an adopted role on an autogroup that has no members yet.
      await tx.flush();
      tx.clear();
      await rebuildAutogroupsWithin(tx);
      const coalitionIds = new Map(
        (await tx.find(Coalition, {}, { fields: ['id', 'name'] })).map((c) => [c.name, c.id]),
      );
      const autogroups = new Map(
        (await tx.find(Group, { kind: 'auto' }, { fields: ['id', 'autoKey'] })).map((g) => [g.autoKey, g.id]),
      );
      const existing = new Map(
        (await tx.find(GroupMapping, { groupId: { $in: [...autogroups.values()] } })).map((m) => [
          `${m.groupId}/${m.platform}/${m.target}`,
          m,
        ]),
      );
      for (const a of d.autogroupMappings) {
        const groupId = autogroups.get(autogroupKey(a.of, (name) => coalitionIds.get(name)));
        if (groupId === undefined) continue;
        for (const m of a.mappings) {
          const e = existing.get(`${groupId}/${m.platform}/${m.target}`);
          if (e) e.platformGroupId = m.platformGroupId;
          else
            tx.create(GroupMapping, {
              id: newId(),
              groupId,
              platform: m.platform,
              target: m.target,
              platformGroupId: m.platformGroupId,
              displayName: m.displayName ?? null,
              mode: 'managed',
            });
        }
      }
    }
    const plan: ImportPlan = {
      system: source.system,
      counts: d.counts,
      problems: d.problems,
      teamspeakIdentities: d.teamspeakIdentities,
      upToDate: d.upToDate,
    };
    if (!d.upToDate)
      audit(tx, {
        actorId,
        action: 'import.apply',
        subject: `import:${source.system}`,
        after: { counts: d.counts, problems: d.problems.length },
      });
    await tx.flush();
    return plan;
  });
}
