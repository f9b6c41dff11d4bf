/**
 * Reads Alliance Auth's `python manage.py dumpdata` JSON (a list of `{ model, pk, fields }`) into
 * an ImportSource. Pure: no I/O. Mapping (docs: README "Switching from Alliance Auth"):
 * - every owned character (`authentication.characterownership` -> `eveonline.evecharacter`)
 *   becomes a user, mains and alts; an AA superuser's main gets clearance 9;
 * - `eveonline.evecorporationinfo` / `eveallianceinfo` become corporations and alliances;
 * - each `authentication.state` becomes a group `state:<name>` holding the mains of the users in
 *   it (every state but Guest may log in), each `auth.group` a group of its users' mains, owned
 *   by the main of its first `groupmanagement.authgroup.group_leaders`;
 * - `discord.discorduser.uid` links the main's Discord account; groups are mapped to the Discord
 *   target by name (adopted on first contact); `teamspeak3.authts` (auth group -> TS groups) and
 *   `teamspeak3.stategroup` (state -> TS group) map groups to the existing server group, whose id
 *   is `teamspeak3.tsgroup`'s primary key, keeping its name (`ts_group_name`) as display name;
 * - `teamspeak3.teamspeak3user.uid` is not TeamSpeak's unique id: it is AA's own id of the user,
 *   which AA's privilege key set on the client as the custom property `sso_uid` (AA finds the
 *   client with `customsearch ident=sso_uid`); the TeamSpeak target resolves it into a link.
 */
import type { ImportProblem, ImportSource, SourceGroup, SourceMapping, SourceUser } from './source.ts';
import { eveIdOf, ImportFormatError, optionalEveIdOf, snowflakeOf, textOf } from './errors.ts';

interface DumpRecord {
  readonly model: string;
  readonly pk: unknown;
  readonly fields: Record<string, unknown>;
}

function records(dump: unknown): DumpRecord[] {
  if (!Array.isArray(dump))
    throw new ImportFormatError('not a dumpdata export: the top level must be a JSON list of records');
  return dump.map((r: unknown, i) => {
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof (r as DumpRecord).model !== 'string' ||
      typeof (r as DumpRecord).fields !== 'object' ||
      (r as DumpRecord).fields === null
    )
      throw new ImportFormatError(`record ${i + 1}: not a {model, pk, fields} record`);
    return r as DumpRecord;
  });
}

const name = (r: DumpRecord) => `${r.model} pk=${String(r.pk)}`;
const key = (v: unknown) => String(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function readAllianceAuth(dump: unknown): ImportSource {
  const all = records(dump);
  const of = (model: string) => all.filter((r) => r.model === model);
  const problems: ImportProblem[] = [];

  const alliancesByPk = new Map<string, number>();
  const alliances = of('eveonline.eveallianceinfo').map((r) => {
    const allianceId = eveIdOf(r.fields.alliance_id, name(r), 'alliance_id');
    alliancesByPk.set(key(r.pk), allianceId);
    return {
      allianceId,
      name: textOf(r.fields.alliance_name, name(r), 'alliance_name'),
      ticker: textOf(r.fields.alliance_ticker, name(r), 'alliance_ticker'),
      executorCorporationId: optionalEveIdOf(r.fields.executor_corp_id, name(r), 'executor_corp_id'),
    };
  });
  const corporations = of('eveonline.evecorporationinfo').map((r) => {
    const alliancePk = r.fields.alliance;
    const allianceId = alliancePk == null ? null : (alliancesByPk.get(key(alliancePk)) ?? null);
    if (alliancePk != null && allianceId === null)
      problems.push({ record: name(r), reason: `dangling reference to alliance pk=${key(alliancePk)}` });
    return {
      corporationId: eveIdOf(r.fields.corporation_id, name(r), 'corporation_id'),
      name: textOf(r.fields.corporation_name, name(r), 'corporation_name'),
      ticker: textOf(r.fields.corporation_ticker, name(r), 'corporation_ticker'),
      allianceId,
      ceoCharacterId: optionalEveIdOf(r.fields.ceo_id, name(r), 'ceo_id'),
    };
  });

  const characters = new Map(
    of('eveonline.evecharacter').map((r) => [
      key(r.pk),
      {
        characterId: eveIdOf(r.fields.character_id, name(r), 'character_id'),
        characterName: textOf(r.fields.character_name, name(r), 'character_name'),
        corporationId: optionalEveIdOf(r.fields.corporation_id, name(r), 'corporation_id'),
      },
    ]),
  );
  const authUsers = new Map(of('auth.user').map((r) => [key(r.pk), r]));
  const userPkOf = (r: DumpRecord, field = 'user') => {
    // DiscordUser and Teamspeak3User use the user as their primary key: `user` may be absent.
    const pk = key(r.fields[field] ?? r.pk);
    if (!authUsers.has(pk)) {
      problems.push({ record: name(r), reason: `dangling reference to auth.user pk=${pk}` });
      return null;
    }
    return pk;
  };

  const users = new Map<number, SourceUser>();
  for (const r of of('authentication.characterownership')) {
    const character = characters.get(key(r.fields.character));
    if (!character) {
      problems.push({
        record: name(r),
        reason: `dangling reference to eveonline.evecharacter pk=${key(r.fields.character)}`,
      });
      continue;
    }
    if (userPkOf(r) === null) continue;
    users.set(character.characterId, { ...character });
  }

  // The main character of each AA user: groups, states and links hang on it.
  const mainOf = new Map<string, number>();
  const stateOf = new Map<string, string>();
  for (const r of of('authentication.userprofile')) {
    const userPk = userPkOf(r);
    if (userPk === null) continue;
    if (r.fields.state != null) stateOf.set(userPk, key(r.fields.state));
    const main = r.fields.main_character == null ? undefined : characters.get(key(r.fields.main_character));
    if (!main) {
      const username = String(authUsers.get(userPk)?.fields.username ?? userPk);
      problems.push({
        record: `auth.user pk=${userPk} (${username})`,
        reason:
          r.fields.main_character == null
            ? 'user without a main character: their characters are imported, without groups or links'
            : `dangling reference to main character pk=${key(r.fields.main_character)}`,
      });
      continue;
    }
    mainOf.set(userPk, main.characterId);
    if (!users.has(main.characterId)) users.set(main.characterId, { ...main });
  }
  const mainOfUser = (userPk: string) => mainOf.get(userPk);
  for (const [userPk, characterId] of mainOf) {
    if (authUsers.get(userPk)?.fields.is_superuser === true)
      users.set(characterId, { ...users.get(characterId)!, clearanceLevel: 9 });
  }
  for (const r of of('discord.discorduser')) {
    const userPk = userPkOf(r);
    const main = userPk === null ? undefined : mainOfUser(userPk);
    if (main === undefined || r.fields.uid == null) continue;
    users.set(main, { ...users.get(main)!, discordUserId: snowflakeOf(r.fields.uid, name(r), 'uid') });
  }
  for (const r of of('teamspeak3.teamspeak3user')) {
    // `uid` is AA's own id of the user (its sanitized name), set on the client as the custom
    // property sso_uid by the privilege key; the TeamSpeak target finds the client by it.
    const userPk = userPkOf(r);
    const main = userPk === null ? undefined : mainOfUser(userPk);
    if (main === undefined || typeof r.fields.uid !== 'string' || !r.fields.uid) continue;
    users.set(main, { ...users.get(main)!, teamspeak: { ssoUid: r.fields.uid } });
  }

  const mains = (userPks: Iterable<string>) =>
    [...userPks].flatMap((pk) => (mainOf.has(pk) ? [mainOf.get(pk)!] : []));
  const groups: SourceGroup[] = [];
  const authGroups = new Map(of('groupmanagement.authgroup').map((r) => [key(r.fields.group ?? r.pk), r]));
  // TSgroup's primary key is the server group id itself (`ts_group_id`); its name is the server's.
  const tsGroups = new Map(
    of('teamspeak3.tsgroup').map((r) => [
      key(r.pk),
      {
        sgid: String(eveIdOf(r.fields.ts_group_id ?? r.pk, name(r), 'ts_group_id')),
        name: typeof r.fields.ts_group_name === 'string' ? r.fields.ts_group_name : null,
      },
    ]),
  );
  /** The server group of an AuthTS (auth group) or StateGroup (state), by the pk of what it maps. */
  const teamspeakMapping = (from: string, model: string) => {
    const mapped = new Map<string, SourceMapping>();
    for (const r of of(model)) {
      const owner = key(r.fields[from]);
      // AuthTS.ts_group is a many-to-many field (a list), StateGroup.ts_group a foreign key.
      for (const tsPk of Array.isArray(r.fields.ts_group) ? r.fields.ts_group : [r.fields.ts_group]) {
        const ts = tsGroups.get(key(tsPk));
        if (ts === undefined) {
          problems.push({
            record: name(r),
            reason: `dangling reference to teamspeak3.tsgroup pk=${key(tsPk)}`,
          });
          continue;
        }
        if (mapped.has(owner)) {
          problems.push({
            record: name(r),
            reason: `server group ${ts.sgid} is a second TeamSpeak group of the same ${from.replace('_', ' ')}: Roster maps a group to one server group per target, so only ${mapped.get(owner)!.platformGroupId} is mapped`,
          });
          continue;
        }
        mapped.set(owner, { platform: 'teamspeak', platformGroupId: ts.sgid, displayName: ts.name });
      }
    }
    return mapped;
  };
  const teamspeakOf = teamspeakMapping('auth_group', 'teamspeak3.authts');
  const teamspeakOfState = teamspeakMapping('state', 'teamspeak3.stategroup');
  for (const r of of('authentication.state')) {
    const stateName = textOf(r.fields.name, name(r), 'name');
    groups.push({
      name: `state:${stateName}`,
      description: `Alliance Auth state ${stateName}`,
      ownerCharacterId: null,
      memberCharacterIds: mains([...stateOf].filter(([, s]) => s === key(r.pk)).map(([u]) => u)),
      // AA lets every state but Guest in; without this the first sync would strip everyone.
      authorizedToLogin: stateName.toLowerCase() === 'guest' ? null : true,
      mappings: teamspeakOfState.has(key(r.pk)) ? [teamspeakOfState.get(key(r.pk))!] : [],
    });
  }
  const membersOf = new Map<string, string[]>();
  for (const [userPk, r] of authUsers)
    for (const groupPk of list(r.fields.groups))
      membersOf.set(key(groupPk), (membersOf.get(key(groupPk)) ?? []).concat(userPk));
  for (const r of of('auth.group')) {
    const groupName = textOf(r.fields.name, name(r), 'name');
    const authGroup = authGroups.get(key(r.pk));
    const leader = list(authGroup?.fields.group_leaders)
      .map(key)
      .find((pk) => mainOf.has(pk));
    const mappings: SourceMapping[] = [{ platform: 'discord', platformGroupId: null }];
    const ts = teamspeakOf.get(key(r.pk));
    if (ts !== undefined) mappings.push(ts);
    groups.push({
      name: groupName.slice(0, 100),
      description: typeof authGroup?.fields.description === 'string' ? authGroup.fields.description : '',
      ownerCharacterId: leader === undefined ? null : mainOf.get(leader)!,
      memberCharacterIds: mains(membersOf.get(key(r.pk)) ?? []),
      mappings,
    });
  }
  return {
    system: 'alliance-auth',
    alliances,
    corporations,
    coalitions: [],
    users: [...users.values()],
    groups,
    problems,
  };
}
