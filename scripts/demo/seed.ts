/**
 * The demo's small directory: two corporations, an alliance, a coalition, six pilots, three manual
 * groups and a few autogroups mapped onto the fake TeamSpeak server and the fake Discord guild.
 */
import type { EntityManager } from '@mikro-orm/core';
import { insertGroup, insertMembers, upsertMapping } from '../../src/services/groups.ts';
import { Coalition, Group, TeamspeakLink } from '../../src/store/entities/index.ts';
import { newId } from '../../src/crypto.ts';
import { newAlliance, newCorporation, newUser } from '../../src/store/records.ts';
import type { FakeDiscord } from '../../test/fakes/discord/index.ts';
import type { UniverseSeed } from '../../test/fakes/esi/index.ts';
import type { FakeTeamspeak } from '../../test/fakes/teamspeak/index.ts';

export const demoTargets = { teamspeak: 'main', discord: 'guild' } as const;

/** The pilot a person plays in the member portal: in the directory and its groups, nothing linked yet. */
export const demoPortalPilot = 'Gale Rhys';

interface Pilot {
  readonly name: string;
  readonly corporationId: number | null;
  readonly clearanceLevel: number;
  readonly authorizedToLogin?: boolean;
  /** Nickname of a TeamSpeak identity (linked); `online` puts the client on the server now. */
  readonly teamspeak?: { nickname: string; online: boolean };
  /** Whether the pilot has a linked Discord account in the guild (with this nickname). */
  readonly discord?: { nickname: string | null };
  readonly note?: string;
}

const BSUN = 98_000_001;
const FROG = 98_000_002;
const NLA = 99_000_001;
const FIRST_CHARACTER_ID = 2_112_000_001;

const pilots: readonly Pilot[] = [
  {
    name: 'Aria Vex',
    corporationId: BSUN,
    clearanceLevel: 9,
    teamspeak: { nickname: 'aria', online: true },
    discord: { nickname: null },
  },
  {
    name: 'Borin Kael',
    corporationId: BSUN,
    clearanceLevel: 2,
    teamspeak: { nickname: 'Borin', online: false },
    discord: { nickname: 'borin' },
  },
  {
    name: 'Cyra Holt',
    corporationId: FROG,
    clearanceLevel: 0,
    teamspeak: { nickname: 'Cyra Holt', online: true },
    discord: { nickname: null },
  },
  { name: 'Dax Mercer', corporationId: FROG, clearanceLevel: 0, discord: { nickname: 'dax' } },
  {
    name: 'Eli Sorn',
    corporationId: BSUN,
    clearanceLevel: 0,
    authorizedToLogin: false,
    teamspeak: { nickname: 'Eli', online: false },
    discord: { nickname: null },
    note: 'login denied on the user: keeps no synced group',
  },
  {
    name: 'Fenn Tarr',
    corporationId: null,
    clearanceLevel: -1,
    discord: { nickname: null },
    note: 'a guest in no corporation: not authorized',
  },
  // Logs in through the member portal and links TeamSpeak and Discord there.
  { name: demoPortalPilot, corporationId: BSUN, clearanceLevel: 0 },
];

/** The same world as ESI tells it (the demo's fake ESI serves it), so the ESI jobs change nothing. */
export const demoEve: UniverseSeed = {
  alliances: [{ id: NLA, name: 'Northern Light Alliance', ticker: 'NLA', executorCorporationId: BSUN }],
  corporations: [
    { id: BSUN, name: 'Blue Sun Logistics', ticker: 'BSUN', ceoId: 3_000_001, allianceId: NLA },
    { id: FROG, name: 'Red Frog Freight', ticker: 'FROG', ceoId: 3_000_002, allianceId: null },
    // Everyone is in some corporation in EVE: the guest is in a starter (NPC) corporation.
    { id: 1_000_044, name: 'School of Applied Knowledge', ticker: 'SAK', ceoId: 3_000_003, allianceId: null },
  ],
  characters: pilots.map((p, i) => ({
    id: FIRST_CHARACTER_ID + i,
    name: p.name,
    corporationId: p.corporationId ?? 1_000_044,
  })),
};

/** Manual groups (name -> members) and where they are mapped. */
const manualGroups = [
  { name: 'Fleet Commanders', description: 'FCs of the coalition', members: ['Aria Vex', 'Borin Kael'] },
  {
    name: 'Logistics',
    description: 'Haulers and logistics pilots',
    members: ['Borin Kael', 'Cyra Holt', 'Dax Mercer', 'Eli Sorn', demoPortalPilot],
  },
  { name: 'Directors', description: 'Corporation directors', members: ['Aria Vex'] },
] as const;

export interface DemoDirectory {
  /** Platform account -> pilot name, per platform (to print what landed). */
  readonly teamspeakNames: Map<string, string>;
  readonly discordNames: Map<string, string>;
  /** Pilots who get nothing, and why. */
  readonly notSynced: { name: string; why: string }[];
  /** Platform groups that existed before Roster and are not mapped (left alone). */
  readonly unmanaged: { teamspeak: string[]; discord: string[] };
}

/**
 * Seeds the fakes (identities, a hand-made server group Roster will adopt, an unmanaged Discord
 * role) and the directory. Call after the daemon migrated its database.
 */
export async function seedDemo(
  em: EntityManager,
  rootId: string,
  ts: FakeTeamspeak,
  discord: FakeDiscord,
): Promise<DemoDirectory> {
  const teamspeakNames = new Map<string, string>();
  const discordNames = new Map<string, string>();

  // The platforms as they were before Roster: a server group an admin made by hand (Roster adopts
  // it by name instead of creating a second one) and a Discord role Roster must never touch.
  const handMade = ts.createServerGroup('Fleet Commanders');
  const moderators = discord.guild.addRole({ name: 'Moderators' });

  newAlliance(em, {
    allianceId: NLA,
    name: 'Northern Light Alliance',
    ticker: 'NLA',
    executorCorporationId: BSUN,
    authorizedToLogin: true,
  });
  newCorporation(em, { corporationId: BSUN, name: 'Blue Sun Logistics', ticker: 'BSUN', allianceId: NLA });
  newCorporation(em, { corporationId: FROG, name: 'Red Frog Freight', ticker: 'FROG' });
  em.create(Coalition, {
    id: newId(),
    name: 'Dawn Coalition',
    ticker: 'DAWN',
    description: 'NLA and its friends',
    allianceIds: [NLA],
    corporationIds: [FROG],
    authorizedToLogin: true,
    mandatoryEsiScopes: [],
  });

  const userIds = new Map<string, string>();
  for (const [i, pilot] of pilots.entries()) {
    let discordUserId: string | null = null;
    if (pilot.discord) {
      const member = discord.guild.addMember({
        username: pilot.name.toLowerCase().replace(' ', '.'),
        nick: pilot.discord.nickname,
        // Cyra moderates the guild: Roster must leave that role on her.
        roles: pilot.name === 'Cyra Holt' ? [moderators.id] : [],
      });
      discordUserId = member.user.id;
      discordNames.set(discordUserId, pilot.name);
    }
    const user = newUser(em, {
      characterId: FIRST_CHARACTER_ID + i,
      characterName: pilot.name,
      corporationId: pilot.corporationId,
      clearanceLevel: pilot.clearanceLevel,
      authorizedToLogin: pilot.authorizedToLogin ?? null,
      discordUserId,
    });
    userIds.set(pilot.name, user.id);
    if (pilot.teamspeak) {
      const identity = pilot.teamspeak.online
        ? ts.connectClient({ nickname: pilot.teamspeak.nickname })
        : ts.addDbClient({ nickname: pilot.teamspeak.nickname });
      em.create(TeamspeakLink, {
        id: newId(),
        userId: user.id,
        target: demoTargets.teamspeak,
        clientDbId: identity.cldbid,
        uniqueId: identity.uid,
      });
      teamspeakNames.set(identity.cldbid, pilot.name);
      if (pilot.name === 'Aria Vex') ts.addGroupMembers(handMade, [identity.cldbid]);
    }
  }
  await em.flush();

  const known = [demoTargets.teamspeak, demoTargets.discord];
  const map = (
    groupId: string,
    platform: 'teamspeak' | 'discord',
    displayName: string | null = null,
    mode: 'managed' | 'grantOnly' = 'managed',
  ) => upsertMapping(em, groupId, { platform, target: demoTargets[platform], displayName, mode }, known);
  for (const spec of manualGroups) {
    const group = await insertGroup(em, {
      name: spec.name,
      description: spec.description,
      ownerId: rootId,
      authorizedToLogin: null,
    });
    await insertMembers(
      em,
      group.id,
      spec.members.map((name) => userIds.get(name)!),
    );
    await map(group.id, 'teamspeak');
    await map(group.id, 'discord', null, spec.name === 'Directors' ? 'grantOnly' : 'managed');
  }
  return {
    teamspeakNames,
    discordNames,
    notSynced: pilots.flatMap((p) => (p.note ? [{ name: p.name, why: p.note }] : [])),
    unmanaged: {
      teamspeak: ts
        .serverGroups()
        .filter((g) => g.type === 1 && g.sgid !== handMade)
        .map((g) => g.name),
      discord: ['Moderators'],
    },
  };
}

/** Maps the autogroups (they exist once the daemon rebuilt them): the coalition everywhere, the alliance on TeamSpeak, the corporations on Discord. */
export async function mapAutogroups(em: EntityManager): Promise<void> {
  const known = [demoTargets.teamspeak, demoTargets.discord];
  const byName = new Map((await em.find(Group, { kind: 'auto' })).map((g) => [g.name, g.id]));
  const id = (name: string) => {
    const groupId = byName.get(name);
    if (!groupId) throw new Error(`demo: autogroup ${name} is missing`);
    return groupId;
  };
  const target = (platform: 'teamspeak' | 'discord') => ({ platform, target: demoTargets[platform] });
  await upsertMapping(
    em,
    id('coalition:DAWN'),
    { ...target('teamspeak'), displayName: 'Dawn Coalition' },
    known,
  );
  await upsertMapping(
    em,
    id('coalition:DAWN'),
    { ...target('discord'), displayName: 'Dawn Coalition' },
    known,
  );
  await upsertMapping(em, id('alliance:NLA'), { ...target('teamspeak'), displayName: 'NLA' }, known);
  await upsertMapping(em, id('corp:BSUN'), { ...target('discord'), displayName: 'BSUN' }, known);
  await upsertMapping(em, id('corp:FROG'), { ...target('discord'), displayName: 'FROG' }, known);
}
