/**
 * `npm run docs:config`: writes the documentation that must not drift from the code.
 *   - config/roster.example.yaml: every configuration key with its default, from the zod schema;
 *   - README.md between `<!-- config:start -->` and `<!-- config:end -->`: the same as a table;
 *   - README.md between `<!-- clearance:start -->` and `<!-- clearance:end -->`: the rights table,
 *     from `scopeRules` in src/domain/clearance.ts;
 *   - README.md between `<!-- clearance-changes:start -->` and `<!-- clearance-changes:end -->`:
 *     who may set which level, computed from `clearanceChangeRefusal`;
 *   - README.md between `<!-- guests:start -->` and `<!-- guests:end -->`: how a guest differs
 *     from a member, computed from the autogroup, name and scope rules.
 * `npm run docs:config -- --check` changes nothing and exits 1 when a file is out of date
 * (test/ops/docs.test.ts does the same).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { configSchema, secretKeys } from '../src/config/schema.ts';
import {
  ADMIN,
  clearanceChangeRefusal,
  deriveAutogroups,
  GUEST,
  mandatoryEsiScopesOfUser,
  scopeRules,
  SUPERUSER,
  tickeredName,
  type Directory,
  type UserFacts,
} from '../src/domain/index.ts';

export const root = resolve(import.meta.dirname, '..');
export const examplePath = join(root, 'config/roster.example.yaml');
export const readmePath = join(root, 'README.md');

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
}

/** One documented key: `database.url`, `teamspeak.targets[].password`, ... */
export interface ConfigKey {
  readonly path: string[];
  readonly schema: JsonSchema;
  readonly required: boolean;
  /** Inside a list of objects (`targets[]`). */
  readonly inList: boolean;
}

const jsonSchema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** Values for the keys a list entry requires, for the commented example (they have no default). */
const exampleValues: Record<string, unknown> = {
  'teamspeak.targets[].name': 'main',
  'teamspeak.targets[].host': 'ts.example.org',
  'teamspeak.targets[].username': 'roster',

  'discord.targets[].name': 'guild',

  'discord.targets[].guildId': '123456789012345678',
};

export function configKeys(
  schema: JsonSchema = jsonSchema,
  path: string[] = [],
  inList = false,
): ConfigKey[] {
  const keys: ConfigKey[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const here = [...path, name];
    if (child.type === 'object' && child.properties) {
      keys.push(...configKeys(child, here, inList));
      continue;
    }
    keys.push({
      path: here,
      schema: child,
      required: (schema.required ?? []).includes(name) && child.default === undefined,
      inList,
    });
    if (child.type === 'array' && child.items?.type === 'object')
      keys.push(...configKeys(child.items, [...here.slice(0, -1), `${name}[]`], true));
  }
  return keys;
}

const dotted = (path: readonly string[]) => path.join('.');
const isSecret = (key: string) => (secretKeys as readonly string[]).includes(key);

/** The environment variable that overrides a key (see src/config/load.ts). */
export function envName(path: readonly string[]): string {
  const upper = (segment: string) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `ROSTER_${path.flatMap((s) => (s.endsWith('[]') ? [upper(s.slice(0, -2)), '0'] : [upper(s)])).join('__')}`;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function describeType(s: JsonSchema): string {
  if (s.enum) return `one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (s.type === 'integer' || s.type === 'number') {
    const kind = s.type;
    const max = s.maximum !== undefined && s.maximum < UNBOUNDED ? s.maximum : undefined;
    if (s.minimum !== undefined && max !== undefined) return `${kind} ${s.minimum}–${max}`;
    if (s.minimum !== undefined) return `${kind} ≥ ${s.minimum}`;
    return kind;
  }
  if (s.type === 'array')
    return s.items?.type === 'object' ? 'list of objects (below)' : `list of ${s.items?.type ?? 'values'}s`;
  if (s.format === 'uri') return 'URL';
  if (s.pattern) return `string matching \`${s.pattern}\``;
  return s.type ?? 'any';
}

const inlineYaml = (value: unknown) => stringify(value, { collectionStyle: 'flow' }).trim();
/** A default as the table shows it: strings bare (`""` when empty), anything else as JSON. */
const tableValue = (value: unknown) =>
  typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Lists are set from the environment entry by entry (`..._0`), lists of objects field by field. */
function envCell(k: ConfigKey): string {
  if (k.schema.type !== 'array') return `\`${envName(k.path)}\``;
  if (k.schema.items?.type === 'object') return 'per field, below';
  return `\`${envName(k.path)}__0\`, \`__1\`, ...`;
}

export function configTable(): string {
  const rows = configKeys().map((k) => {
    const secret = isSecret(k.path.at(-1)!);
    const type = describeType(k.schema);
    const def = k.required ? '**required**' : `\`${tableValue(k.schema.default)}\``;
    return `| \`${dotted(k.path)}\` | ${cell(type)}${secret ? ', secret' : ''} | ${cell(def)} | ${envCell(k)} | ${cell(k.schema.description ?? '')} |`;
  });
  return [
    '| Key | Type | Default | Environment override | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export function exampleYaml(): string {
  const out: string[] = [
    '# Roster configuration: every key, with its default. Generated from src/config/schema.ts by',
    '# `npm run docs:config`; do not edit by hand (a test fails when it drifts from the schema).',
    '#',
    '# Every key is optional: a missing one takes the default shown. Copy what you change to',
    '# /etc/roster/roster.yaml (or ./roster.yaml, ./config/roster.yaml, or --config <file>).',
    '# Any key can be set from the environment instead, which wins over the file:',
    '# ROSTER_<SECTION>__<KEY>, e.g. ROSTER_CONTROL_PLANE__PORT=9000; list entries by index, e.g.',
    '# ROSTER_TEAMSPEAK__TARGETS__0__PASSWORD. Keep secrets there (the service reads /etc/roster/roster.env).',
  ];
  for (const [section, schema] of Object.entries(jsonSchema.properties ?? {})) {
    out.push('', `${section}:`);
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      const path = [section, name];
      out.push(
        `  # ${child.description ?? ''}`,
        `  # ${describeType(child)}${child.type === 'array' ? '' : `; env ${envName(path)}`}`,
      );
      if (child.type === 'array' && child.items?.type === 'object') {
        out.push(`  ${name}: []`);
        out.push(`  # Each entry (there may be several), e.g.:`, `  # ${name}:`);
        let first = true;
        for (const [field, fieldSchema] of Object.entries(child.items.properties ?? {})) {
          const key = `${section}.${name}[].${field}`;
          const required = (child.items.required ?? []).includes(field) && fieldSchema.default === undefined;
          const note = `${fieldSchema.description ?? ''}${required ? ' Required.' : ''}`;
          const lead = `  #   ${first ? '- ' : '  '}`;
          first = false;
          if (isSecret(field) && required) {
            // A secret goes in the environment file, never in an example someone uncomments.
            out.push(`${lead}# ${field}: from ${envName([section, `${name}[]`, field])} (${note})`);
            continue;
          }
          const value = required ? (exampleValues[key] ?? '<required>') : fieldSchema.default;
          out.push(`${lead}${field}: ${inlineYaml(value)}${note ? `  # ${note}` : ''}`);
        }
      } else {
        out.push(`  ${name}: ${inlineYaml(child.default)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** An example configuration with one target of each platform, from the same example values. */
export function exampleTargets(): Record<string, unknown> {
  const target = (platform: 'teamspeak' | 'discord') =>
    Object.fromEntries(
      Object.entries(exampleValues)
        .filter(([k]) => k.startsWith(`${platform}.targets[].`))
        .map(([k, v]) => [k.slice(`${platform}.targets[].`.length), v]),
    );
  return { teamspeak: { targets: [target('teamspeak')] }, discord: { targets: [target('discord')] } };
}

const levelName = (level: number) =>
  level === SUPERUSER ? ' (superuser)' : level === ADMIN ? ' (admin)' : '';

export function clearanceTable(): string {
  const rows = Object.entries(scopeRules).map(([scope, rule]) => {
    let who: string;
    switch (rule.kind) {
      case 'absolute':
        who = `level ≥ ${rule.min}${levelName(rule.min)}`;
        break;
      case 'owner':
        who = `the group's owner, or level ≥ ${rule.min}${levelName(rule.min)}`;
        break;
      case 'leader':
        who = `the group's owner or leaders, or level ≥ ${rule.min}${levelName(rule.min)}`;
        break;
      case 'relative':
        who =
          rule.access === 'read'
            ? 'any non-guest over their own record; else level ≥ 1 same corporation, 3 same alliance, 5 same coalition, 7 anyone'
            : 'any non-guest over their own record; else level ≥ 2 same corporation, 4 same alliance, 6 same coalition, 8 anyone';
        break;
    }
    return `| \`${scope}\` | ${cell(who)} | ${cell(rule.doc)} |`;
  });
  return ['| Right | Who holds it | What it allows |', '| --- | --- | --- |', ...rows].join('\n');
}

const levelRange = (levels: number[]) =>
  levels.length === 0 ? 'none' : `${levels[0]} to ${levels[levels.length - 1]}`;

/**
 * Who may set which level, asked of the rule itself for every level (actor and target in one
 * corporation, so only the level decides the reach).
 */
export function clearanceChangeTable(): string {
  const levels = Array.from({ length: SUPERUSER - GUEST + 1 }, (_, i) => GUEST + i);
  const at = (userId: string) => ({ userId, corporationId: 1, allianceId: null, coalitionIds: [] });
  const rows = levels.map((actorLevel) => {
    const actor = { userId: 'a', characterId: 1, clearanceLevel: actorLevel, affiliation: at('a') };
    const allowed = (targetLevel: number, level: number) =>
      clearanceChangeRefusal(
        actor,
        { userId: 'b', characterId: 2, clearanceLevel: targetLevel, affiliation: at('b') },
        level,
      ) === null;
    const sets = levels.filter((level) => levels.some((t) => allowed(t, level)));
    const on = levels.filter((t) => levels.some((level) => allowed(t, level)));
    const name = actorLevel === GUEST ? ' (guest)' : levelName(actorLevel);
    return `| ${actorLevel}${name} | ${levelRange(sets)} | ${levelRange(on)} |`;
  });
  return [
    '| Actor’s level | May set the levels | On users whose level is |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/**
 * A member and a guest of the same corporation (in an alliance and a coalition, each with a
 * mandatory scope), both allowed to log in, run through the rules that treat them apart.
 */
export function guestTable(): string {
  const mandatory = (scope: string) => ({ authorizedToLogin: true, mandatoryEsiScopes: [scope] });
  const person = (id: string, clearanceLevel: number): UserFacts => ({
    id,
    characterId: id === 'member' ? 1 : 2,
    characterName: 'Name',
    corporationId: 1,
    clearanceLevel,
    authorizedToLogin: null,
  });
  const users = [person('member', 0), person('guest', GUEST)];
  const corporation = { corporationId: 1, name: 'Host', ticker: 'CORP', ceoCharacterId: null, allianceId: 2 };
  const alliance = { allianceId: 2, name: 'Alliance', ticker: 'ALLY', executorCorporationId: 1 };
  const dir: Directory = {
    users: new Map(users.map((u) => [u.id, u])),
    corporations: new Map([[1, { ...corporation, ...mandatory('corporation-scope') }]]),
    alliances: new Map([[2, { ...alliance, ...mandatory('alliance-scope') }]]),
    coalitions: [
      {
        id: 'c',
        name: 'C',
        ticker: 'COAL',
        allianceIds: [2],
        corporationIds: [],
        ...mandatory('coalition-scope'),
      },
    ],
    groups: new Map(),
    groupsOfUser: new Map(),
  };
  const groups = deriveAutogroups(dir);
  const groupsOf = (id: string) =>
    groups
      .filter((g) => g.memberIds.has(id))
      .map((g) => `\`${g.name}\``)
      .join(', ');
  const scopes = (u: UserFacts) => {
    const owed = mandatoryEsiScopesOfUser(u, dir, ['guest-scope']);
    if (owed.includes('guest-scope')) return '`sso.guestScopes` only';
    return owed.length
      ? '`sso.scopes` and the mandatory scopes of corporation, alliance and coalitions'
      : 'none';
  };
  const name = (u: UserFacts) => `\`${tickeredName(u, dir.corporations.get(1), dir.alliances.get(2))}\``;
  const [member, guest] = users as [UserFacts, UserFacts];
  return [
    '| | A member (level ≥ 0) | A guest (level -1) of corporation CORP |',
    '| --- | --- | --- |',
    `| Autogroups (may log in) | ${groupsOf('member')} | ${groupsOf('guest')} |`,
    `| Tickered name (platform nickname) | ${name(member)} | ${name(guest)} |`,
    `| ESI scopes asked at login | ${scopes(member)} | ${scopes(guest)} |`,
    `| Rights | by clearance (above) | none |`,
  ].join('\n');
}

/** `text` with the part between `<!-- name:start -->` and `<!-- name:end -->` replaced. */
export function replaceBetween(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

export function generatedReadme(readme: string): string {
  const sections: [string, string][] = [
    ['config', configTable()],
    ['clearance', clearanceTable()],
    ['clearance-changes', clearanceChangeTable()],
    ['guests', guestTable()],
  ];
  return sections.reduce((text, [name, body]) => replaceBetween(text, name, body), readme);
}

function main() {
  const check = process.argv.includes('--check');
  const readme = readFileSync(readmePath, 'utf8');
  const files: [string, string, string][] = [
    [examplePath, existsSync(examplePath) ? readFileSync(examplePath, 'utf8') : '', exampleYaml()],
    [readmePath, readme, generatedReadme(readme)],
  ];
  let stale = 0;
  for (const [path, current, wanted] of files) {
    if (current === wanted) continue;
    stale++;
    if (check) console.error(`${path} is out of date: run npm run docs:config`);
    else writeFileSync(path, wanted);
  }
  if (check && stale) process.exit(1);
  if (!check) console.log(stale ? `updated ${stale} file(s)` : 'docs are up to date');
}

if (import.meta.main) main();
