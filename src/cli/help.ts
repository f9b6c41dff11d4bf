import type { Catalog, ProcedureInfo } from './catalog.ts';
import { table } from './format.ts';
import { describeField, describeType, isArrayField, isPlainBooleanFlag, type Field } from './schema.ts';
import { DEFAULT_URL } from './settings.ts';

const TYPE_LABEL = {
  query: 'query',
  mutation: 'mutation',
  subscription: 'subscription (not callable here)',
} as const;

/** `--id <string> [--limit <int 1..500>] [--force]`: the input at a glance. */
export function synopsis(procedure: ProcedureInfo): string {
  if (!procedure.takesInput) return '(no input)';
  if (!procedure.fields) return "--input '<json>'";
  if (!procedure.fields.length) return '(no fields)';
  return procedure.fields
    .map((f) => {
      const flag = isPlainBooleanFlag(f.schema) ? `--${f.name}` : `--${f.name} <${describeType(f.schema)}>`;
      return f.required ? flag : `[${flag}]`;
    })
    .join(' ');
}

/** One line per action (name, kind, description when the input or meta has one, synopsis), aligned across routers. */
function actionLines(catalog: Catalog): string[] {
  const rows = catalog.procedures.map((p) => [
    `    ${p.action}`,
    p.type,
    [p.description, synopsis(p)].filter(Boolean).join('  '),
  ]);
  const lines = table(['', '', ''], rows).slice(1);
  return catalog.procedures.flatMap((p, i) =>
    i === 0 || catalog.procedures[i - 1]!.router !== p.router ? [`  ${p.router}`, lines[i]!] : [lines[i]!],
  );
}

export function topHelp(catalog: Catalog, settingsFile: string): string[] {
  return [
    "rosterctl: Roster's admin CLI, over the daemon's tRPC control plane",
    '',
    'Usage',
    "  rosterctl <router> <action> [--field value ...] [--input '<json>'|@file] [--json]",
    '  rosterctl <router> [<action>] --help      the fields of a router or an action',
    '  rosterctl status [--runs N] [--json]      per platform target: connection, last run, drift; recent runs',
    '  rosterctl token create --root [--config PATH] [--comment TEXT] [--ttlSeconds N]',
    "                                            a token for root, straight from the daemon's database (daemon stopped)",
    '',
    'Routers and actions',
    ...actionLines(catalog),
    '',
    'Flags map onto the input: numbers and booleans are parsed (--flag alone is true, --no-flag false),',
    'lists take a repeated flag or a comma list, "null" clears a nullable field, a lone word fills --id;',
    "--input '<json>' (or @file) gives the whole input, and flags override its keys.",
    '',
    'Options',
    '  --json               raw JSON on stdout, for scripts',
    `  --cli-config PATH    settings file (default ${settingsFile}): { "url": "...", "token": "..." }`,
    '  -h, --help           this help',
    '',
    'Environment',
    `  ROSTER_URL           the daemon (default ${DEFAULT_URL}); wins over the settings file`,
    '  ROSTER_TOKEN         bearer token; wins over the settings file',
    '',
    'Exit codes: 0 ok, 1 server or network error (or a failed/refused sync run), 2 usage error or input',
    'the daemon rejected, 3 unauthorized or forbidden.',
  ];
}

export function routerHelp(catalog: Catalog, router: string): string[] {
  return [
    `rosterctl ${router} <action> [flags] [--json]`,
    '',
    ...catalog
      .ofRouter(router)
      .flatMap((p) => ['', ...procedureBlock(p)])
      .slice(1),
  ];
}

export function actionHelp(procedure: ProcedureInfo): string[] {
  const usage = `rosterctl ${procedure.router} ${procedure.action} ${synopsis(procedure)} [--json]`;
  const lines = [usage, '', ...procedureBlock(procedure)];
  if (procedure.fields?.some((f) => isArrayField(f.schema)))
    lines.push('', 'Lists: repeat the flag (--x a --x b) or give a comma list (--x a,b).');
  lines.push(
    '',
    "The whole input can also be given as --input '<json>' (or --input @file.json); flags override its keys.",
  );
  return lines;
}

function procedureBlock(procedure: ProcedureInfo): string[] {
  const head = `${procedure.action} (${TYPE_LABEL[procedure.type]})${procedure.description ? `: ${procedure.description}` : ''}`;
  if (!procedure.takesInput) return [head, '  no input'];
  if (!procedure.fields) return [head, "  input: --input '<json>' (its shape cannot be shown as flags)"];
  if (!procedure.fields.length) return [head, '  no fields'];
  return [head, ...fieldTable(procedure.fields).map((l) => `  ${l}`)];
}

function fieldTable(fields: readonly Field[]): string[] {
  const described = fields.some((f) => f.description);
  return table(
    ['flag', 'type', 'notes', ...(described ? ['description'] : [])],
    fields.map((f) => [
      `--${f.name}`,
      describeType(f.schema),
      describeField(f),
      ...(described ? [f.description ?? ''] : []),
    ]),
  );
}
