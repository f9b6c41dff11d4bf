/**
 * Exports written from the real model definitions (Alliance Auth's Django models, SNI's
 * mongoengine models), with made-up people only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AA = {
  alliance: 99_800_001,
  corpA: 98_800_001,
  corpB: 98_800_002,
  alice: 2_118_000_001, // main of AA user 1 (superuser), Member
  aliceAlt: 2_118_000_002,
  bob: 2_118_000_003, // main of AA user 2, Member, leader of Fleet Command
  carol: 2_118_000_004, // AA user 3, no main
  discordAlice: '310000000000000001',
  tsGroup: '7', // Fleet Command's server group (AuthTS)
  tsStateGroup: '8', // state Member's server group (StateGroup)
  /** What AA keeps as Teamspeak3User.uid: the sanitized name its privilege key set as sso_uid. */
  bobSsoUid: '[IMCA]_Bob_Imported',
};

const rec = (model: string, pk: unknown, fields: Record<string, unknown>) => ({ model, pk, fields });

/**
 * A small dumpdata export with each case the import must handle. `serverGroups`: the ids of the
 * existing TeamSpeak server groups (a fake server numbers its own).
 */
export function allianceAuthDump(serverGroups: { fc?: string; member?: string } = {}): unknown[] {
  const fc = Number(serverGroups.fc ?? AA.tsGroup);
  const member = Number(serverGroups.member ?? AA.tsStateGroup);
  return [
    rec('eveonline.eveallianceinfo', 1, {
      alliance_id: String(AA.alliance),
      alliance_name: 'Imported Alliance',
      alliance_ticker: 'IMPA',
      executor_corp_id: String(AA.corpA),
    }),
    rec('eveonline.evecorporationinfo', 1, {
      corporation_id: String(AA.corpA),
      corporation_name: 'Imported Corp A',
      corporation_ticker: 'IMCA',
      member_count: 3,
      alliance: 1,
    }),
    rec('eveonline.evecorporationinfo', 2, {
      corporation_id: AA.corpB,
      corporation_name: 'Imported Corp B',
      corporation_ticker: 'IMCB',
      member_count: 1,
      alliance: null,
    }),
    ...[
      [1, AA.alice, 'Alice Imported', AA.corpA],
      [2, AA.aliceAlt, 'Alice Alt', AA.corpA],
      [3, AA.bob, 'Bob Imported', AA.corpA],
      [4, AA.carol, 'Carol Imported', AA.corpB],
      [5, 2_118_000_005, 'Dan Elsewhere', 98_899_999],
    ].map(([pk, id, name, corp]) =>
      rec('eveonline.evecharacter', pk, {
        character_id: String(id),
        character_name: name,
        corporation_id: String(corp),
        corporation_name: '',
        corporation_ticker: '',
        alliance_id: '',
      }),
    ),
    rec('auth.user', 1, { username: 'alice', is_superuser: true, is_active: true, groups: [10] }),
    rec('auth.user', 2, { username: 'bob', is_superuser: false, is_active: true, groups: [10, 11] }),
    rec('auth.user', 3, { username: 'carol', is_superuser: false, is_active: true, groups: [10] }),
    rec('auth.user', 4, { username: 'dan', is_superuser: false, is_active: true, groups: [] }),
    rec('authentication.state', 1, { name: 'Member', priority: 100, public: false }),
    rec('authentication.state', 2, { name: 'Guest', priority: 0, public: true }),
    rec('authentication.userprofile', 1, { user: 1, main_character: 1, state: 1 }),
    rec('authentication.userprofile', 2, { user: 2, main_character: 3, state: 1 }),
    rec('authentication.userprofile', 3, { user: 3, main_character: null, state: 2 }),
    rec('authentication.userprofile', 4, { user: 4, main_character: 5, state: 2 }),
    rec('authentication.characterownership', 1, { character: 1, owner_hash: 'h1', user: 1 }),
    rec('authentication.characterownership', 2, { character: 2, owner_hash: 'h2', user: 1 }),
    rec('authentication.characterownership', 3, { character: 3, owner_hash: 'h3', user: 2 }),
    rec('authentication.characterownership', 4, { character: 4, owner_hash: 'h4', user: 3 }),
    rec('authentication.characterownership', 5, { character: 5, owner_hash: 'h5', user: 4 }),
    rec('auth.group', 10, { name: 'Fleet Command', permissions: [] }),
    rec('auth.group', 11, { name: 'fleet command', permissions: [] }),
    rec('groupmanagement.authgroup', 10, {
      group: 10,
      internal: false,
      hidden: false,
      open: false,
      description: 'FCs',
      group_leaders: [2],
      group_leader_groups: [],
    }),
    rec('discord.discorduser', 1, { uid: AA.discordAlice, username: 'alice' }),
    rec('discord.discorduser', 2, { uid: AA.discordAlice, username: 'bob' }),
    // Teamspeak3User's primary key is the user; TSgroup's is the server group id itself.
    rec('teamspeak3.teamspeak3user', 2, { uid: AA.bobSsoUid, perm_key: 'key' }),
    rec('teamspeak3.tsgroup', fc, { ts_group_name: 'FC' }),
    rec('teamspeak3.tsgroup', member, { ts_group_name: 'Member' }),
    rec('teamspeak3.authts', 1, { auth_group: 10, ts_group: [fc] }),
    rec('teamspeak3.stategroup', 1, { state: 1, ts_group: member }),
  ];
}

/** `count` AA users, each with a main, an alt, a state, a group, Discord and TeamSpeak links. */
export function largeAllianceAuthDump(count: number): unknown[] {
  const out: unknown[] = [
    rec('eveonline.eveallianceinfo', 1, {
      alliance_id: '99810001',
      alliance_name: 'Big Alliance',
      alliance_ticker: 'BIG',
      executor_corp_id: '98810000',
    }),
    rec('authentication.state', 1, { name: 'Member', priority: 100, public: false }),
  ];
  const corps = Math.max(1, Math.ceil(count / 100));
  for (let c = 0; c < corps; c++)
    out.push(
      rec('eveonline.evecorporationinfo', c + 1, {
        corporation_id: String(98_810_000 + c),
        corporation_name: `Big Corp ${c}`,
        corporation_ticker: `BC${c}`,
        member_count: 100,
        alliance: 1,
      }),
    );
  for (let g = 0; g < 20; g++) out.push(rec('auth.group', g + 1, { name: `Squad ${g}`, permissions: [] }));
  for (let i = 0; i < count; i++) {
    const user = i + 1;
    const corp = String(98_810_000 + (i % corps));
    out.push(
      rec('eveonline.evecharacter', 2 * i + 1, {
        character_id: String(2_119_000_000 + 2 * i),
        character_name: `Big Main ${i}`,
        corporation_id: corp,
      }),
      rec('eveonline.evecharacter', 2 * i + 2, {
        character_id: String(2_119_000_001 + 2 * i),
        character_name: `Big Alt ${i}`,
        corporation_id: corp,
      }),
      rec('auth.user', user, { username: `u${i}`, is_superuser: false, groups: [1 + (i % 20)] }),
      rec('authentication.userprofile', user, { user, main_character: 2 * i + 1, state: 1 }),
      rec('authentication.characterownership', 2 * i + 1, {
        character: 2 * i + 1,
        user,
        owner_hash: `m${i}`,
      }),
      rec('authentication.characterownership', 2 * i + 2, {
        character: 2 * i + 2,
        user,
        owner_hash: `a${i}`,
      }),
      rec('discord.discorduser', user, { uid: String(320_000_000_000_000_000n + BigInt(i)) }),
      rec('teamspeak3.teamspeak3user', user, { uid: `[BIG]_Big_Main_${i}`, perm_key: `k${i}` }),
    );
  }
  return out;
}

export const SNI = {
  alliance: 99_820_001,
  corp: 98_820_001,
  root: 0,
  erin: 2_120_000_001,
  frank: 2_120_000_002,
  discordErin: '330000000000000001',
  role: '440000000000000001',
  corpRole: '440000000000000002', // SNI's autogroup of SNI Corp
  coalitionRole: '440000000000000003', // SNI's autogroup of SNI Coalition
};

const oid = (n: number) => ({ $oid: n.toString(16).padStart(24, '0') });

/**
 * SNI collections as `mongoexport --jsonArray` writes them (extended JSON). `teamspeak`: the
 * Logistics server group and Erin's client database id (a fake server numbers its own).
 */
export function sniExport(
  teamspeak: { logistics?: number; corp?: number; erin?: number } = {},
): Record<string, unknown[]> {
  const date = { $date: '2020-05-01T12:00:00Z' };
  return {
    alliance: [
      {
        _id: oid(1),
        _version: 3,
        alliance_id: SNI.alliance,
        alliance_name: 'SNI Alliance',
        ticker: 'SNIA',
        executor_corporation_id: SNI.corp,
        authorized_to_login: true,
        mandatory_esi_scopes: ['esi-assets.read_assets.v1'],
        updated_on: date,
      },
    ],
    corporation: [
      {
        _id: oid(2),
        _version: 3,
        corporation_id: SNI.corp,
        corporation_name: 'SNI Corp',
        ticker: 'SNIC',
        ceo_character_id: SNI.erin,
        alliance: oid(1),
        authorized_to_login: null,
        mandatory_esi_scopes: [],
        updated_on: date,
      },
    ],
    coalition: [
      // schema version 1: `name` and `members`, before the migrations renamed them
      {
        _id: oid(3),
        _version: 1,
        name: 'SNI Coalition',
        members: [oid(1)],
        ticker: 'SNIX',
        created_on: date,
        updated_on: date,
      },
    ],
    user: [
      {
        _id: oid(10),
        _version: 3,
        character_id: SNI.root,
        character_name: 'root',
        clearance_level: 10,
        corporation: null,
      },
      {
        _id: oid(11),
        _version: 3,
        character_id: SNI.erin,
        character_name: 'Erin Sni',
        clearance_level: 4,
        corporation: oid(2),
        authorized_to_login: null,
        discord_user_id: { $numberLong: SNI.discordErin },
        teamspeak_cldbid: teamspeak.erin ?? 21,
      },
      {
        _id: oid(12),
        _version: 3,
        character_id: SNI.frank,
        character_name: 'Frank Sni',
        clearance_level: 0,
        corporation: oid(2),
        authorized_to_login: false,
        discord_user_id: null,
        teamspeak_cldbid: null,
      },
    ],
    group: [
      {
        _id: oid(20),
        _version: 4,
        group_name: 'superusers',
        is_autogroup: true,
        members: [oid(10)],
        map_to_discord: false,
        map_to_teamspeak: false,
      },
      {
        _id: oid(21),
        _version: 4,
        group_name: 'Logistics',
        description: 'Haulers',
        is_autogroup: false,
        members: [oid(11), oid(12), oid(99)],
        owner: oid(11),
        map_to_discord: true,
        discord_role_id: { $numberLong: SNI.role },
        map_to_teamspeak: true,
        teamspeak_sgid: teamspeak.logistics ?? 9,
        authorized_to_login: true,
      },
      // SNI's autogroups, named after their corporation, alliance or coalition (sni/user/jobs.py)
      {
        _id: oid(22),
        _version: 4,
        group_name: 'SNI Corp',
        is_autogroup: true,
        members: [oid(11), oid(12)],
        map_to_discord: true,
        discord_role_id: { $numberLong: SNI.corpRole },
        map_to_teamspeak: true,
        teamspeak_sgid: teamspeak.corp ?? 10,
      },
      {
        _id: oid(23),
        _version: 4,
        group_name: 'SNI Coalition',
        is_autogroup: true,
        members: [oid(11), oid(12)],
        map_to_discord: true,
        discord_role_id: { $numberLong: SNI.coalitionRole },
        map_to_teamspeak: false,
        teamspeak_sgid: null,
      },
      {
        _id: oid(24),
        _version: 4,
        group_name: 'Gone Corp',
        is_autogroup: true,
        members: [],
        map_to_discord: true,
        discord_role_id: { $numberLong: '440000000000000009' },
      },
    ],
  };
}

export function writeSniFolder(collections: Record<string, unknown[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sni-export-'));
  for (const [name, docs] of Object.entries(collections))
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(docs));
  return dir;
}
