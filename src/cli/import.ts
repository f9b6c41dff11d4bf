import { resolve } from 'node:path';
import { ImportFormatError } from '../import/errors.ts';
import { readAllianceAuthFile, readSniDatabase, readSniFolder } from '../import/files.ts';
import { openImportTeamspeakLookup, TeamspeakUnreachableError } from '../sync/teamspeak/import-lookup.ts';
import { resolveTeamspeakIdentities, type ResolvedTeamspeak } from '../services/import-teamspeak.ts';
import {
  applyImport,
  planImport,
  type ImportPlan,
  type ImportSource,
  type ImportTargets,
} from '../services/import.ts';
import { splitFlag } from './args.ts';
import { importValueFlags } from './local-commands.ts';
import { CliError, EXIT, printLines, println, UsageError, type CliIo, type ExitCode } from './io.ts';
import { daemonConfig, withDaemonDatabase } from './root-token.ts';

const TOPIC = 'import';
interface ImportArgs {
  system: 'alliance-auth' | 'sni';
  file: string | null;
  dir: string | null;
  url: string | null;
  configPath: string | null;
  dryRun: boolean;
  yes: boolean;
  teamspeakLinks: boolean;
  teamspeakTarget: string | null;
  discordTarget: string | null;
}

function parseArgs(words: readonly string[], tokens: readonly string[]): ImportArgs {
  const system = words[0];
  if (system !== 'alliance-auth' && system !== 'sni')
    throw new UsageError(
      'import what? rosterctl import alliance-auth --file F, or rosterctl import sni --dir D',
      TOPIC,
    );
  const args: ImportArgs = {
    system,
    file: null,
    dir: null,
    url: null,
    configPath: null,
    dryRun: false,
    yes: false,
    teamspeakLinks: true,
    teamspeakTarget: null,
    discordTarget: null,
  };
  for (let i = 0; i < tokens.length; i++) {
    const [name, inline] = splitFlag(tokens[i]!);
    if (name === 'dry-run' || name === 'dryRun') args.dryRun = true;
    else if (name === 'yes') args.yes = true;
    else if (name === 'no-teamspeak-links') args.teamspeakLinks = false;
    else if (name !== null && importValueFlags.has(name)) {
      const value = inline ?? tokens[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`, TOPIC);
      if (name === 'file') args.file = value;
      else if (name === 'dir') args.dir = value;
      else if (name === 'url') args.url = value;
      else if (name === 'config') args.configPath = value;
      else if (name === 'teamspeak-target') args.teamspeakTarget = value;
      else args.discordTarget = value;
    } else
      throw new UsageError(
        `unexpected ${name === null ? `argument "${tokens[i]}"` : `flag --${name}`}`,
        TOPIC,
      );
  }
  if (system === 'alliance-auth' && !args.file)
    throw new UsageError('import alliance-auth needs --file dump.json', TOPIC);
  if (system === 'sni' && !args.dir === !args.url)
    throw new UsageError('import sni needs --dir FOLDER or --url mongodb://...', TOPIC);
  return args;
}

async function readSource(args: ImportArgs, cwd: string): Promise<ImportSource> {
  try {
    if (args.system === 'alliance-auth') return readAllianceAuthFile(resolve(cwd, args.file!));
    return args.dir ? readSniFolder(resolve(cwd, args.dir)) : await readSniDatabase(args.url!);
  } catch (error) {
    if (error instanceof ImportFormatError)
      throw new CliError(`nothing imported: ${error.message}`, EXIT.usage);
    throw error;
  }
}

export function formatPlan(plan: ImportPlan, applied: boolean): string[] {
  const verb = applied ? '' : ' (dry run)';
  const lines = [`import from ${plan.system}${verb}:`, '  what            created  updated  unchanged'];
  for (const [what, c] of Object.entries(plan.counts))
    lines.push(
      `  ${what.padEnd(14)} ${String(c.created).padStart(8)} ${String(c.updated).padStart(8)} ${String(c.unchanged).padStart(10)}`,
    );
  lines.push(`  problems: ${plan.problems.length}`);
  for (const p of plan.problems) lines.push(`    ${p.record}: ${p.reason}`);
  if (plan.teamspeakIdentities.length)
    lines.push(
      `  ${plan.teamspeakIdentities.length} TeamSpeak identities not linked (no TeamSpeak target asked): record them with user linkTeamspeak (--json lists them)`,
    );
  if (plan.upToDate) lines.push('  the directory is up to date: nothing to write');
  return lines;
}

/** The import's TeamSpeak identities, resolved by the target before anything is planned. */
async function resolveOn(
  config: Parameters<typeof openImportTeamspeakLookup>[0],
  source: ImportSource,
): Promise<ResolvedTeamspeak> {
  try {
    const lookup = await openImportTeamspeakLookup(config);
    try {
      return await resolveTeamspeakIdentities(source.users, lookup);
    } finally {
      await lookup.close();
    }
  } catch (error) {
    const why =
      error instanceof TeamspeakUnreachableError
        ? error.message
        : `TeamSpeak target "${config.name}": ${(error as Error).message}`;
    throw new CliError(`nothing imported: ${why} (--no-teamspeak-links imports without them)`, EXIT.failed);
  }
}

/** `rosterctl import alliance-auth|sni ...` (see importHelp). */
export async function importCommand(
  io: CliIo,
  words: readonly string[],
  tokens: readonly string[],
  json: boolean,
): Promise<ExitCode> {
  const args = parseArgs(words, tokens);
  const config = daemonConfig(args.configPath, io.env, io.cwd);
  const pick = (name: string | null, configured: readonly { name: string }[], platform: string) => {
    if (name === null) return configured[0]?.name ?? null;
    if (!configured.some((t) => t.name === name))
      throw new UsageError(`no ${platform} target named "${name}" is configured`, TOPIC);
    return name;
  };
  const targets: ImportTargets = {
    teamspeak: pick(args.teamspeakTarget, config.teamspeak.targets, 'teamspeak'),
    discord: pick(args.discordTarget, config.discord.targets, 'discord'),
  };
  const source = await readSource(args, io.cwd);
  const teamspeakConfig = config.teamspeak.targets.find((t) => t.name === targets.teamspeak);
  const teamspeak =
    args.teamspeakLinks && teamspeakConfig && source.users.some((u) => u.teamspeak)
      ? await resolveOn(teamspeakConfig, source)
      : undefined;
  const options = teamspeak ? { teamspeak } : {};
  return withDaemonDatabase(args.configPath, io.env, io.cwd, 'import', async (db, rootId) => {
    const plan = await planImport(db.fork(), source, targets, options);
    const show = (p: ImportPlan, applied: boolean) =>
      json
        ? println(io.stdout, JSON.stringify({ applied, ...p }, null, 2))
        : printLines(io.stdout, formatPlan(p, applied));
    if (args.dryRun || plan.upToDate) {
      show(plan, false);
      return EXIT.ok;
    }
    let go = args.yes;
    if (!go && io.stdout.isTTY && io.ask) {
      show(plan, false);
      go = /^y(es)?$/i.test((await io.ask('write this import? [y/N] ')).trim());
      if (!go) {
        println(io.stderr, 'nothing written');
        return EXIT.ok;
      }
    }
    if (!go) {
      show(plan, false);
      println(
        io.stderr,
        'nothing written: run again with --yes to write it (or on a terminal, answer the question)',
      );
      return EXIT.ok;
    }
    show(await applyImport(db.fork(), source, targets, rootId, options), true);
    return EXIT.ok;
  });
}
