import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../src/api/router.ts';
import { GUEST } from '../../src/domain/index.ts';
import type { DirectoryEsi } from '../../src/services/directory-esi.ts';
import { newJoinLink } from '../../src/services/group-membership.ts';
import { createToken } from '../../src/services/auth/tokens.ts';
import { type Group, GroupRequest } from '../../src/store/entities/index.ts';
import { newId } from '../../src/crypto.ts';
import { everyPlatformOptions, startTestApi, type TestApi } from '../support/api.ts';
import {
  addAlliance,
  addCoalition,
  addCorporation,
  addGroup,
  addLeader,
  addUser,
  freshCharacterId,
} from '../support/rows.ts';

/**
 * Every procedure of the router, for actors of levels -1, 0, 2, 4, 8, 9 and 10 (and anonymous),
 * against targets in each relation that matters (oneself, same corporation, same alliance, an
 * unrelated one; owner or not): exactly who is allowed. A procedure without an entry fails the
 * first test, so a new one cannot skip the matrix: add one line below.
 *
 * Expectations: `true` the call succeeds, `false` it is FORBIDDEN, a code that error, and
 * `'not-forbidden'` anything but FORBIDDEN, UNAUTHORIZED or an internal error (for calls whose
 * outcome depends on an outside party, like completing a link nobody started).
 */

/** An operator refresh that finds nothing to change (these tests do not read ESI). */
const nothingRefreshed = {
  apply: async () => ({ changed: 0, corporationsLeft: 0, corporationsJoined: 0, unread: 0 }),
};

const LEVELS = [GUEST, 0, 2, 4, 8, 9, 10] as const;

// The actors are in CORP_A (of ALLIANCE_X); targets are placed by relation.
const ALLIANCE_X = 99_700_001;
const ALLIANCE_Y = 99_700_002;
const CORP_A = 98_700_001; // ALLIANCE_X, its executor
const CORP_B = 98_700_002; // ALLIANCE_X
const CORP_C = 98_700_003; // no alliance
const CORP_D = 98_700_004; // ALLIANCE_Y, its executor

type Relation =
  | 'none'
  | 'self'
  | 'sameCorp'
  | 'sameAlliance'
  | 'other'
  | 'owner'
  | 'nonOwner'
  | 'leader'
  | 'root'
  | 'guests'
  | 'application';
type Expect = boolean | 'not-forbidden' | 'NOT_FOUND';

interface Actor {
  readonly id: string;
  readonly token: string;
  readonly level: number;
}

interface Entry {
  /** The relations tried (default: none). */
  readonly on?: readonly Relation[];
  readonly allow: (level: number, relation: Relation) => Expect;
  /** The input of one call; it may create the target it needs. */
  readonly input?: (f: Fixtures, actor: Actor, relation: Relation) => unknown;
  /** Callable without a token (only health). */
  readonly public?: true;
}

// --- who is allowed -------------------------------------------------------------------------
/** Read distance of each relation: 0 self, 1 corporation, 3 alliance, 7 anyone. */
const DISTANCE: Partial<Record<Relation, number>> = { self: 0, sameCorp: 1, sameAlliance: 3, other: 7 };
const anyone = (): Expect => true;
const min =
  (n: number) =>
  (level: number): Expect =>
    level >= n;
const read = (level: number, r: Relation): Expect => level >= 0 && level >= DISTANCE[r]!;
const write = (level: number, r: Relation): Expect =>
  level >= 0 && (r === 'self' || level >= DISTANCE[r]! + 1);
const ownerOr =
  (n: number) =>
  (level: number, r: Relation): Expect =>
    level >= 0 && (r === 'owner' || level >= n);
const users: Relation[] = ['self', 'sameCorp', 'sameAlliance', 'other'];
const corporations: Relation[] = ['sameCorp', 'sameAlliance', 'other'];
const alliances: Relation[] = ['sameAlliance', 'other'];
const owners: Relation[] = ['owner', 'nonOwner'];
/** Groups one owns, leads (named as a leader) or has nothing to do with. */
const leaders: Relation[] = ['owner', 'leader', 'nonOwner'];
const leaderOr =
  (n: number) =>
  (level: number, r: Relation): Expect =>
    level >= 0 && (r === 'owner' || r === 'leader' || level >= n);

/** The ESI the matrix's daemon reads: any corporation or alliance, and the characters Fixtures.character made. */
const esiCharacters = new Map<number, number>();
const esi: DirectoryEsi = {
  fetchCorporation: async (id) => ({
    name: `Tracked ${id}`,
    ticker: `TR${id % 100_000}`,
    ceoCharacterId: null,
    allianceId: null,
  }),
  fetchAlliance: async (id) => ({
    name: `Tracked ${id}`,
    ticker: `TA${id % 100_000}`,
    executorCorporationId: null,
  }),
  fetchCorporationRefresh: async () => nothingRefreshed,
  fetchAllianceRefresh: async () => nothingRefreshed,
  resolveCharacters: async ({ ids = [] }) => ({
    characters: ids.flatMap((characterId) => {
      const corporationId = esiCharacters.get(characterId);
      if (corporationId === undefined) return [];
      const allianceId = corporationId === CORP_C ? null : corporationId === CORP_D ? ALLIANCE_Y : ALLIANCE_X;
      return [{ characterId, name: `Esi ${characterId}`, corporationId, allianceId }];
    }),
    unknownIds: ids.filter((id) => !esiCharacters.has(id)),
    unknownNames: [],
  }),
};

class Fixtures {
  private n = 0;
  private readonly api: TestApi;
  constructor(api: TestApi) {
    this.api = api;
  }

  seq(): number {
    return ++this.n;
  }

  corporationOf(r: Relation): number {
    return r === 'sameCorp' ? CORP_A : r === 'sameAlliance' ? CORP_B : CORP_C;
  }

  /** A character ESI knows (see `esi` below) and Roster does not, in the relation's corporation. */
  character(r: Relation): number {
    const characterId = freshCharacterId();
    esiCharacters.set(characterId, this.corporationOf(r));
    return characterId;
  }

  allianceOf(r: Relation): number {
    return r === 'sameAlliance' ? ALLIANCE_X : ALLIANCE_Y;
  }

  /** A fresh level-0 user in the relation to the actor (or the actor itself, or root). */
  async user(
    actor: Actor,
    r: Relation,
    fields: { clearanceLevel?: number; corporationId?: number } = {},
  ): Promise<string> {
    if (r === 'self') return actor.id;
    if (r === 'root') return this.api.rootId;
    const em = this.api.t.db.fork();
    const user = addUser(em, `Target ${this.seq()}`, { corporationId: this.corporationOf(r), ...fields });
    await em.flush();
    return user.id;
  }

  async guest(corporationId: number): Promise<string> {
    return this.user({ id: '', token: '', level: 0 }, 'other', { clearanceLevel: GUEST, corporationId });
  }

  async group(
    actor: Actor,
    r: Relation = 'nonOwner',
    members: string[] = [],
    fields: Partial<Group> = {},
  ): Promise<string> {
    const em = this.api.t.db.fork();
    const group = addGroup(em, `Matrix group ${this.seq()}`, members, {
      ownerId: r === 'owner' ? actor.id : this.api.rootId,
      ...fields,
    });
    if (r === 'leader') addLeader(em, group.id, actor.id);
    await em.flush();
    return group.id;
  }

  /** A rule-built group (rule: not a guest), owned by the actor or by root. */
  async ruleGroup(actor: Actor, r: Relation = 'nonOwner'): Promise<string> {
    return this.group(actor, r, [], { kind: 'rule', rule: { guest: false } });
  }

  /** A pending request to join a fresh request group (of the actor's relation), by `userId`. */
  async request(actor: Actor, r: Relation, userId: string): Promise<string> {
    const groupId = await this.group(actor, r, [], { joinPolicy: 'request' });
    const em = this.api.t.db.fork();
    const request = em.create(GroupRequest, {
      id: newId(),
      groupId,
      userId,
      status: 'pending',
      message: '',
      decidedBy: null,
      decisionReason: null,
      decidedAt: null,
    });
    await em.flush();
    return request.id;
  }

  /** The current join link of a fresh hidden group. */
  async joinLink(actor: Actor): Promise<string> {
    const id = await this.group(actor, 'nonOwner', [], { joinPolicy: 'hidden' });
    const root = { userId: this.api.rootId, characterId: 0, clearanceLevel: 10 };
    const affiliation = { userId: this.api.rootId, corporationId: null, allianceId: null, coalitionIds: [] };
    return (await newJoinLink(this.api.useCase(this.api.rootId), { ...root, affiliation }, id)).link;
  }

  db() {
    return this.api.t.db;
  }

  async coalition(): Promise<string> {
    const em = this.api.t.db.fork();
    const coalition = addCoalition(em, `Matrix coalition ${this.seq()}`, { ticker: `MC${this.n}` });
    await em.flush();
    return coalition.id;
  }

  async token(userId: string): Promise<string> {
    return (
      await createToken(this.api.t.db.fork(), { userId, kind: 'user', comment: 'matrix', ttlSeconds: 3600 })
    ).id;
  }
}

const ts = { platform: 'teamspeak', target: 'main' } as const;

// --- the matrix: one entry per procedure ----------------------------------------------------
const matrix: Record<string, Entry> = {
  'system.health': { allow: anyone, public: true },
  'system.version': { allow: min(0) },
  'system.config': { allow: min(9) },
  'system.jobs': { allow: min(9) },
  'system.triggerJob': { allow: min(9), input: () => ({ name: 'cleanup' }) },

  'group.list': { allow: min(0), input: () => ({}) },
  'group.get': { allow: min(0), input: async (f, a) => ({ id: await f.group(a) }) },
  'group.create': { allow: min(1), input: (f) => ({ name: `Matrix created ${f.seq()}` }) },
  'group.update': {
    on: owners,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), description: 'changed' }),
  },
  'group.map': { allow: min(9), input: async (f, a) => ({ id: await f.group(a), ...ts }) },
  'group.unmap': { allow: min(9), input: async (f, a) => ({ id: await f.group(a), ...ts }) },
  'group.addMembers': {
    on: owners,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), userIds: [a.id] }),
  },
  'group.removeMembers': {
    on: owners,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r, [a.id]), userIds: [a.id] }),
  },
  'group.delete': { on: owners, allow: ownerOr(9), input: async (f, a, r) => ({ id: await f.group(a, r) }) },

  'membership.joinable': { allow: min(0) },
  'membership.mine': { allow: min(0) },
  'membership.notices': { allow: min(0) },
  'membership.setRemovalGrace': {
    on: leaders,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), graceHours: 24 }),
  },
  'membership.settings': { allow: min(0), input: async (f, a) => ({ id: await f.group(a) }) },
  'membership.join': {
    allow: min(0),
    input: async (f, a) => ({ id: await f.group(a, 'nonOwner', [], { joinPolicy: 'open' }) }),
  },
  'membership.joinByLink': { allow: min(0), input: async (f, a) => ({ link: await f.joinLink(a) }) },
  'membership.leave': {
    allow: min(0),
    input: async (f, a) => ({ id: await f.group(a, 'nonOwner', [a.id], { joinPolicy: 'open' }) }),
  },
  'membership.request': {
    allow: min(0),
    input: async (f, a) => ({ id: await f.group(a, 'nonOwner', [], { joinPolicy: 'request' }) }),
  },
  'membership.withdraw': {
    on: ['self', 'other'],
    // Someone else's request is NOT_FOUND: request ids are not to be probed.
    allow: (l, r) => (l < 0 ? false : r === 'self' ? true : 'NOT_FOUND'),
    input: async (f, a, r) => ({
      requestId: await f.request(a, 'nonOwner', r === 'self' ? a.id : await f.user(a, 'other')),
    }),
  },
  'membership.requests': {
    on: ['none', ...leaders],
    allow: (l, r) => (r === 'none' ? l >= 0 : leaderOr(9)(l, r)),
    input: async (f, a, r) => (r === 'none' ? {} : { id: await f.group(a, r) }),
  },
  'membership.decide': {
    on: leaders,
    allow: leaderOr(9),
    input: async (f, a, r) => ({ requestId: await f.request(a, r, await f.user(a, 'other')), approve: true }),
  },
  'membership.members': {
    on: leaders,
    allow: leaderOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r) }),
  },
  'membership.add': {
    on: leaders,
    allow: leaderOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), userIds: [a.id] }),
  },
  'membership.remove': {
    on: leaders,
    allow: leaderOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r, [a.id]), userIds: [a.id] }),
  },
  'membership.newJoinLink': {
    on: leaders,
    allow: leaderOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r, [], { joinPolicy: 'hidden' }) }),
  },
  'membership.configure': {
    on: leaders,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), joinPolicy: 'open' }),
  },
  'membership.addLeader': {
    on: leaders,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.group(a, r), userId: await f.user(a, 'other') }),
  },
  'membership.removeLeader': {
    on: owners,
    allow: ownerOr(9),
    input: async (f, a, r) => {
      const id = await f.group(a, r);
      const em = f.db().fork();
      const leader = await f.user(a, 'other');
      addLeader(em, id, leader);
      await em.flush();
      return { id, userId: leader };
    },
  },

  'ruleGroup.create': {
    allow: min(1),
    input: (f) => ({ name: `Matrix rule ${f.seq()}`, rule: { guest: false } }),
  },
  'ruleGroup.get': { allow: min(0), input: async (f, a) => ({ id: await f.ruleGroup(a) }) },
  'ruleGroup.setRule': {
    on: owners,
    allow: ownerOr(9),
    input: async (f, a, r) => ({ id: await f.ruleGroup(a, r), rule: { mayLogin: true } }),
  },
  'ruleGroup.explain': {
    on: users,
    allow: read,
    input: async (f, a, r) => ({ id: await f.ruleGroup(a), userId: await f.user(a, r) }),
  },

  'sync.plan': { allow: min(9), input: () => ts },
  'sync.run': { allow: min(9), input: () => ts },
  'sync.start': { allow: min(9), input: () => ts },
  // No such run: NOT_FOUND for whoever may read runs, FORBIDDEN before that for the others.
  'sync.progress': { allow: (l) => (l >= 9 ? 'NOT_FOUND' : false), input: () => ({ runId: 'no-such-run' }) },
  'sync.force': { allow: min(10), input: () => ts },
  // No removed autogroup was mapped to 999999: a superuser gets past the check to NOT_FOUND.
  'sync.deleteRetiredGroup': {
    allow: (level) => (level >= 10 ? 'not-forbidden' : false),
    input: () => ({ ...ts, platformGroupId: '999999' }),
  },
  'sync.runs': { allow: min(9), input: () => ({}) },
  'sync.status': { allow: min(9) },
  'sync.explain': {
    on: users,
    allow: read,
    input: async (f, a, r) => ({ ...ts, userId: await f.user(a, r) }),
  },

  'token.list': { allow: min(0) },
  'token.create': {
    on: ['none', 'application'],
    allow: (l, r) => (r === 'application' ? l >= 10 : l >= 0),
    input: (_f, _a, r) => (r === 'application' ? { kind: 'application', ttlSeconds: null } : {}),
  },
  'token.revoke': {
    on: ['self', 'other'],
    // Someone else's token is NOT_FOUND below superuser: ids are not to be probed.
    allow: (l, r) => (l < 0 ? false : r === 'self' || l >= 10 ? true : 'NOT_FOUND'),
    input: async (f, a, r) => ({ id: await f.token(r === 'self' ? a.id : await f.user(a, 'other')) }),
  },

  'user.list': {
    on: ['none', 'guests'],
    allow: (l, r) => (r === 'guests' ? l >= 2 : l >= 0),
    input: (_f, _a, r) => ({ includeGuests: r === 'guests' }),
  },
  'user.get': { on: users, allow: read, input: async (f, a, r) => ({ id: await f.user(a, r) }) },
  'user.setClearance': {
    on: users,
    allow: (l, r) => r !== 'self' && write(l, r),
    input: async (f, a, r) => ({ id: await f.user(a, r), level: 1 }),
  },
  'user.setAuthorizedToLogin': {
    on: users,
    allow: (l, r) => r !== 'self' && write(l, r),
    input: async (f, a, r) => ({ id: await f.user(a, r), authorizedToLogin: true }),
  },
  'user.delete': {
    on: ['self', 'other', 'root'],
    allow: (l, r) => r === 'other' && l >= 9,
    input: async (f, a, r) => ({ id: await f.user(a, r) }),
  },
  'user.unlink': {
    on: users,
    allow: write,
    input: async (f, a, r) => ({ id: await f.user(a, r), platform: 'discord' }),
  },

  'user.add': {
    on: corporations,
    allow: write,
    input: (f, _a, r) => ({ characterId: f.character(r) }),
  },
  // A list is refused whole only when the caller may add nobody; otherwise who is beyond reach is reported.
  'user.import': {
    on: corporations,
    allow: (l) => l >= 2,
    input: (f, _a, r) => ({ entries: [String(f.character(r))] }),
  },

  'user.linkDiscord': {
    on: ['other'],
    allow: min(9),
    input: async (f, a, r) => ({ id: await f.user(a, r), discordUserId: null }),
  },
  'user.linkTeamspeak': {
    on: ['other'],
    allow: min(9),
    input: async (f, a, r) => ({ target: 'main', links: [{ id: await f.user(a, r) }] }),
  },

  'corporation.list': { allow: min(0), input: () => ({}) },
  'corporation.get': { allow: min(0), input: () => ({ corporationId: CORP_C }) },
  'corporation.track': {
    allow: min(9),
    input: (f) => ({ corporationId: 98_710_000 + f.seq() }),
  },
  'corporation.update': { allow: min(9), input: () => ({ corporationId: CORP_C, mandatoryEsiScopes: [] }) },
  'corporation.refresh': { allow: min(9), input: () => ({ corporationId: CORP_C }) },
  'corporation.guests.list': {
    on: corporations,
    allow: read,
    input: (f, _a, r) => ({ corporationId: f.corporationOf(r) }),
  },
  'corporation.guests.invite': {
    on: corporations,
    allow: write,
    input: (f, _a, r) => ({
      corporationId: f.corporationOf(r),
      characterId: freshCharacterId(),
      characterName: 'Invited',
    }),
  },
  'corporation.guests.remove': {
    on: corporations,
    allow: write,
    input: async (f, _a, r) => ({
      corporationId: f.corporationOf(r),
      userId: await f.guest(f.corporationOf(r)),
    }),
  },

  'alliance.list': { allow: min(0), input: () => ({}) },
  'alliance.get': { allow: min(0), input: () => ({ allianceId: ALLIANCE_Y }) },
  'alliance.track': {
    allow: min(9),
    input: (f) => ({ allianceId: 99_710_000 + f.seq() }),
  },
  'alliance.update': { allow: min(9), input: () => ({ allianceId: ALLIANCE_Y, mandatoryEsiScopes: [] }) },
  'alliance.refresh': { allow: min(9), input: () => ({ allianceId: ALLIANCE_Y }) },
  'alliance.guests.list': {
    on: alliances,
    allow: read,
    input: (f, _a, r) => ({ allianceId: f.allianceOf(r) }),
  },
  'alliance.guests.invite': {
    on: alliances,
    allow: write,
    input: (f, _a, r) => ({
      allianceId: f.allianceOf(r),
      characterId: freshCharacterId(),
      characterName: 'Invited',
    }),
  },
  'alliance.guests.remove': {
    on: alliances,
    allow: write,
    input: async (f, _a, r) => ({
      allianceId: f.allianceOf(r),
      userId: await f.guest(r === 'sameAlliance' ? CORP_B : CORP_D),
    }),
  },

  'coalition.list': { allow: min(0), input: () => ({}) },
  'coalition.get': { allow: min(0), input: async (f) => ({ id: await f.coalition() }) },
  'coalition.create': {
    allow: min(9),
    input: (f) => ({ name: `Created ${f.seq()}`, ticker: `CC${f.seq()}`, alliances: [ALLIANCE_Y] }),
  },
  'coalition.update': {
    allow: min(9),
    input: async (f) => ({ id: await f.coalition(), addCorporations: [CORP_C] }),
  },
  'coalition.delete': { allow: min(9), input: async (f) => ({ id: await f.coalition() }) },

  'audit.list': { allow: min(9), input: () => ({}) },

  'auth.loginUrl': { allow: anyone, public: true, input: () => ({}) },
  'auth.inviteUrl': {
    on: corporations,
    allow: write,
    input: (f, _a, r) => ({ corporationId: f.corporationOf(r) }),
  },

  'teamspeak.startLink': { allow: min(0), input: () => ({ target: 'main' }) },
  'teamspeak.completeLink': {
    allow: (l) => (l >= 0 ? 'not-forbidden' : false),
    input: () => ({ target: 'main' }),
  },
  'teamspeak.unlink': { allow: min(0), input: () => ({ target: 'main' }) },
  'teamspeak.status': { allow: min(0) },
  'discord.startLink': { allow: min(0), input: () => ({ target: 'guild' }) },
  'discord.completeLink': {
    allow: (l) => (l >= 0 ? 'not-forbidden' : false),
    input: () => ({ target: 'guild' }),
  },
  'discord.unlink': { allow: min(0), input: () => ({}) },
  'discord.status': { allow: min(0) },
};

/**
 * The same input, pointing at nothing: every id and target name replaced by one that does not
 * exist. A caller refused over every existing target must hear FORBIDDEN for these too, never
 * NOT_FOUND: otherwise it could probe which ids or target names exist.
 */
const MISSING_ID = '01900000-0000-7000-8000-00000000dead';
function pointingAtNothing(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(pointingAtNothing);
  if (input === null || typeof input !== 'object') return input;
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => {
      if (['id', 'userId', 'groupId'].includes(key) && typeof value === 'string') return [key, MISSING_ID];
      if (key === 'userIds' && Array.isArray(value)) return [key, [MISSING_ID]];
      if (key === 'target' && typeof value === 'string') return [key, 'no-such-target'];
      if (['corporationId', 'allianceId', 'characterId'].includes(key) && typeof value === 'number')
        return [key, 2_147_000_001];
      return [key, pointingAtNothing(value)];
    }),
  );
}

// --- running it -----------------------------------------------------------------------------
const procedures = appRouter._def.procedures as unknown as Record<
  string,
  { _def: { type: 'query' | 'mutation' | 'subscription' } }
>;

type Outcome = { ok: true } | { ok: false; code: string; message: string };

async function call(api: TestApi, path: string, token: string | undefined, input: unknown): Promise<Outcome> {
  let node: any = api.client(token);
  for (const part of path.split('.')) node = node[part];
  try {
    await (procedures[path]!._def.type === 'query' ? node.query(input) : node.mutate(input));
    return { ok: true };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    return { ok: false, code: String(error.data?.code), message: error.message };
  }
}

function describeOutcome(o: Outcome): string {
  return o.ok ? 'success' : `${o.code} (${o.message})`;
}

function matches(outcome: Outcome, expected: Expect): boolean {
  if (expected === true) return outcome.ok;
  if (expected === false) return !outcome.ok && outcome.code === 'FORBIDDEN';
  if (expected === 'not-forbidden')
    return outcome.ok || !['FORBIDDEN', 'UNAUTHORIZED', 'INTERNAL_SERVER_ERROR'].includes(outcome.code);
  return !outcome.ok && outcome.code === expected;
}

describe('authorization matrix', () => {
  let api: TestApi;
  let f: Fixtures;
  const actors = new Map<number, Actor>();

  beforeAll(async () => {
    api = await startTestApi({ ...everyPlatformOptions('matrix'), directoryEsi: esi });
    f = new Fixtures(api);
    const em = api.t.db.fork();
    addAlliance(em, ALLIANCE_X, { ticker: 'MAX', executorCorporationId: CORP_A });
    addAlliance(em, ALLIANCE_Y, { ticker: 'MAY', executorCorporationId: CORP_D });
    addCorporation(em, CORP_A, { ticker: 'MCA', allianceId: ALLIANCE_X });
    addCorporation(em, CORP_B, { ticker: 'MCB', allianceId: ALLIANCE_X });
    addCorporation(em, CORP_C, { ticker: 'MCC' });
    addCorporation(em, CORP_D, { ticker: 'MCD', allianceId: ALLIANCE_Y });
    await em.flush();
    for (const level of LEVELS)
      actors.set(level, { ...(await api.user({ clearanceLevel: level, corporationId: CORP_A })), level });
  });
  afterAll(async () => api?.stop());

  it('has an entry for every procedure of the router, and none for a procedure that is gone', () => {
    expect(Object.keys(procedures).filter((p) => !(p in matrix))).toEqual([]);
    expect(Object.keys(matrix).filter((p) => !(p in procedures))).toEqual([]);
  });

  // Procedures run a few at a time (each builds fresh targets; the actors are only read).
  it.concurrent.for(Object.keys(matrix).filter((p) => p in procedures))(
    '%s: exactly the expected actors are allowed',
    async (path, { expect }) => {
      const entry = matrix[path]!;
      const cases = LEVELS.flatMap((level) =>
        (entry.on ?? ['none']).map((relation) => ({ actor: actors.get(level)!, relation })),
      );
      const results = await Promise.all(
        cases.map(async ({ actor, relation }) => {
          const input = await entry.input?.(f, actor, relation);
          const outcome = await call(api, path, actor.token, input);
          const expected = entry.allow(actor.level, relation);
          return {
            level: actor.level,
            relation,
            expected,
            got: describeOutcome(outcome),
            ok: matches(outcome, expected),
          };
        }),
      );
      const anonymous = await call(
        api,
        path,
        undefined,
        await entry.input?.(f, actors.get(10)!, (entry.on ?? ['none'])[0]!),
      );
      results.push({
        level: Number.NaN,
        relation: 'none',
        expected: entry.public ? true : 'not-forbidden',
        got: describeOutcome(anonymous),
        ok: entry.public ? anonymous.ok : !anonymous.ok && anonymous.code === 'UNAUTHORIZED',
      });
      expect(results.filter((r) => !r.ok)).toEqual([]);
    },
  );

  it.concurrent.for(Object.keys(matrix).filter((p) => p in procedures && matrix[p]!.input))(
    '%s: FORBIDDEN before NOT_FOUND for whoever holds the right over nothing',
    async (path, { expect }) => {
      const entry = matrix[path]!;
      const relations = entry.on ?? ['none'];
      const refused = LEVELS.filter((level) => relations.every((r) => entry.allow(level, r) === false));
      const results = await Promise.all(
        refused.map(async (level) => {
          const actor = actors.get(level)!;
          const input = pointingAtNothing(await entry.input!(f, actor, relations[0]!));
          const outcome = await call(api, path, actor.token, input);
          return { level, got: describeOutcome(outcome), ok: !outcome.ok && outcome.code === 'FORBIDDEN' };
        }),
      );
      expect(results.filter((r) => !r.ok)).toEqual([]);
    },
  );
});
