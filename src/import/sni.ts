/**
 * Reads SeAT Navy Issue's collections (mongoengine documents of `sni/user/models.py`: `user`,
 * `group`, `corporation`, `alliance`, `coalition`) into an ImportSource. Pure: the documents come
 * parsed (extended JSON through bson's EJSON, or straight from the driver); references are
 * ObjectIds. Older schema versions are read too (`name`/`members` before the migrations renamed
 * them). Mapping (README "Switching from SeAT Navy Issue"): one user per user document (root,
 * character 0, stays Roster's own root), clearance and login flags as they are, mandatory scopes
 * on corporations, alliances and coalitions, groups with members and owner, `discord_role_id` and
 * `teamspeak_sgid` as mappings of the groups mapped to each platform, `discord_user_id` and
 * `teamspeak_cldbid` as links. SNI's autogroups (and `superusers`) are Roster's own: the role and
 * server group ids SNI recorded on them become mappings of Roster's autogroup of the same
 * corporation, alliance or coalition (SNI names an autogroup after it).
 */
import type { ImportProblem, ImportSource, SourceAutogroupMapping, SourceMapping } from './source.ts';
import { eveIdOf, ImportFormatError, optionalEveIdOf, snowflakeOf, textOf } from './errors.ts';

export type SniCollections = Readonly<
  Record<'user' | 'group' | 'corporation' | 'alliance' | 'coalition', readonly unknown[]>
>;

type Doc = Record<string, unknown>;
const ref = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const flag = (v: unknown): boolean | null | undefined =>
  typeof v === 'boolean' ? v : v === null ? null : undefined;
const scopes = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;

function docs(collections: SniCollections, name: keyof SniCollections): Doc[] {
  const list = collections[name];
  if (!Array.isArray(list)) throw new ImportFormatError(`collection ${name}: not a list of documents`);
  return list.map((d, i) => {
    if (typeof d !== 'object' || d === null)
      throw new ImportFormatError(`${name} document ${i + 1}: not an object`);
    return d as Doc;
  });
}

export function readSni(collections: SniCollections): ImportSource {
  const problems: ImportProblem[] = [];
  const label = (collection: string, d: Doc) => `${collection} ${ref(d._id) ?? '(no _id)'}`;
  const deref = <T>(map: Map<string, T>, v: unknown, record: string, what: string): T | null => {
    const id = ref(v);
    if (id === null) return null;
    const found = map.get(id);
    if (found === undefined) problems.push({ record, reason: `dangling reference to ${what} ${id}` });
    return found ?? null;
  };

  const allianceIds = new Map<string, number>();
  const alliances = docs(collections, 'alliance').map((d) => {
    const r = label('alliance', d);
    const allianceId = eveIdOf(d.alliance_id, r, 'alliance_id');
    allianceIds.set(ref(d._id)!, allianceId);
    return {
      allianceId,
      name: textOf(d.alliance_name, r, 'alliance_name'),
      ticker: textOf(d.ticker, r, 'ticker'),
      executorCorporationId: optionalEveIdOf(d.executor_corporation_id, r, 'executor_corporation_id'),
      authorizedToLogin: flag(d.authorized_to_login) ?? null,
      mandatoryEsiScopes: scopes(d.mandatory_esi_scopes) ?? [],
    };
  });
  const corporationIds = new Map<string, number>();
  const corporations = docs(collections, 'corporation').map((d) => {
    const r = label('corporation', d);
    const corporationId = eveIdOf(d.corporation_id, r, 'corporation_id');
    corporationIds.set(ref(d._id)!, corporationId);
    return {
      corporationId,
      name: textOf(d.corporation_name, r, 'corporation_name'),
      ticker: textOf(d.ticker, r, 'ticker'),
      allianceId: deref(allianceIds, d.alliance, r, 'alliance'),
      ceoCharacterId: optionalEveIdOf(d.ceo_character_id, r, 'ceo_character_id'),
      authorizedToLogin: flag(d.authorized_to_login) ?? null,
      mandatoryEsiScopes: scopes(d.mandatory_esi_scopes) ?? [],
    };
  });
  const coalitions = docs(collections, 'coalition').map((d) => {
    const r = label('coalition', d);
    const name = textOf(d.coalition_name ?? d.name, r, 'coalition_name');
    const list = (v: unknown) => (Array.isArray(v) ? v : []);
    return {
      name: name.slice(0, 100),
      ticker: (typeof d.ticker === 'string' && d.ticker.trim() ? d.ticker.trim() : name).slice(0, 10),
      allianceIds: list(d.member_alliances ?? d.members).flatMap(
        (a) => deref(allianceIds, a, r, 'alliance') ?? [],
      ),
      corporationIds: list(d.member_corporations).flatMap(
        (c) => deref(corporationIds, c, r, 'corporation') ?? [],
      ),
      authorizedToLogin: flag(d.authorized_to_login) ?? null,
      mandatoryEsiScopes: scopes(d.mandatory_esi_scopes) ?? [],
    };
  });

  const characterOf = new Map<string, number>();
  const users = docs(collections, 'user').map((d) => {
    const r = label('user', d);
    const characterId = eveIdOf(d.character_id, r, 'character_id');
    characterOf.set(ref(d._id)!, characterId);
    const level = d.clearance_level ?? 0;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < -1 || level > 10)
      throw new ImportFormatError(`${r}: clearance_level must be an integer from -1 to 10`);
    const cldbid = optionalEveIdOf(d.teamspeak_cldbid, r, 'teamspeak_cldbid');
    const discord = snowflakeOf(d.discord_user_id, r, 'discord_user_id');
    return {
      characterId,
      characterName: textOf(d.character_name, r, 'character_name'),
      corporationId: deref(corporationIds, d.corporation, r, 'corporation'),
      clearanceLevel: level,
      authorizedToLogin: flag(d.authorized_to_login) ?? null,
      discordUserId: discord,
      teamspeak: cldbid === null ? null : { clientDbId: String(cldbid) },
    };
  });

  // SNI names an autogroup after its corporation, alliance or coalition (sni/user/jobs.py).
  const autogroupOf = new Map<string, SourceAutogroupMapping['of']>([
    ...corporations.map((c) => [c.name, { kind: 'corporation', corporationId: c.corporationId }] as const),
    ...alliances.map((a) => [a.name, { kind: 'alliance', allianceId: a.allianceId }] as const),
    ...coalitions.map((c) => [c.name, { kind: 'coalition', name: c.name }] as const),
  ]);
  const autogroupMappings: SourceAutogroupMapping[] = [];
  const groups = docs(collections, 'group').flatMap((d) => {
    const r = label('group', d);
    const name = textOf(d.group_name ?? d.name, r, 'group_name');
    const role = snowflakeOf(d.discord_role_id, r, 'discord_role_id');
    const sgid = optionalEveIdOf(d.teamspeak_sgid, r, 'teamspeak_sgid');
    if (d.is_autogroup === true || name === 'superusers') {
      // Roster builds its own autogroups; what SNI kept of them is where their roles and server
      // groups are: those (and only those with an id) become the mappings of Roster's autogroup.
      const mappings: SourceMapping[] = [];
      if (d.map_to_discord !== false && role !== null)
        mappings.push({ platform: 'discord', platformGroupId: String(role), displayName: name });
      if (d.map_to_teamspeak !== false && sgid !== null)
        mappings.push({ platform: 'teamspeak', platformGroupId: String(sgid), displayName: name });
      if (mappings.length === 0) return [];
      const of: SourceAutogroupMapping['of'] | undefined =
        name === 'superusers' ? { kind: 'builtin', name: 'superusers' } : autogroupOf.get(name);
      if (of === undefined)
        problems.push({
          record: `group "${name}"`,
          reason:
            'an SNI autogroup named after no corporation, alliance or coalition of the export: its role and server group are not mapped (map one by hand)',
        });
      else autogroupMappings.push({ of, sourceName: name, mappings });
      return [];
    }
    const mappings: SourceMapping[] = [];
    if (d.map_to_discord !== false)
      mappings.push({ platform: 'discord', platformGroupId: role === null ? null : String(role) });
    if (d.map_to_teamspeak !== false)
      mappings.push({ platform: 'teamspeak', platformGroupId: sgid === null ? null : String(sgid) });
    return [
      {
        name: name.slice(0, 100),
        description: typeof d.description === 'string' ? d.description : '',
        ownerCharacterId: deref(characterOf, d.owner, r, 'user'),
        memberCharacterIds: (Array.isArray(d.members) ? d.members : []).flatMap(
          (m) => deref(characterOf, m, r, 'user') ?? [],
        ),
        authorizedToLogin: flag(d.authorized_to_login) ?? null,
        mappings,
      },
    ];
  });
  return { system: 'sni', alliances, corporations, coalitions, users, groups, autogroupMappings, problems };
}
