#!/usr/bin/env node
import { buildInput, nextPageCommand, splitGlobals, takesValue } from './args.ts';
import { builtInCatalog, type Catalog, type ProcedureInfo } from './catalog.ts';
import { createClients, explainError, type Clients } from './client.ts';
import { render } from './format.ts';
import { actionHelp, routerHelp, topHelp } from './help.ts';
import { CliError, EXIT, printLines, println, UsageError, type CliIo, type ExitCode } from './io.ts';
import { defaultSettingsFile, resolveSettings } from './settings.ts';
import { statusCommand } from './status.ts';
import { syncCommand, type TargetInput } from './sync.ts';
import { userImportCommand } from './user-import.ts';
import {
  importHelp,
  importValueFlags,
  rootTokenHelp,
  rootTokenValueFlags,
  statusHelp,
  syncHelp,
  userImportHelp,
} from './local-commands.ts';

/**
 * rosterctl: every procedure of the control plane as `rosterctl <router> <action> [flags]`, from
 * the catalogue generated from the router, plus `status`, `import` and the `token create --root`
 * bootstrap. The commands that open the daemon's database are imported only when called.
 */
export async function main(io: CliIo, catalog: Catalog = builtInCatalog()): Promise<ExitCode> {
  try {
    return await run(io, catalog);
  } catch (error) {
    if (error instanceof UsageError) {
      println(io.stderr, `rosterctl: ${error.message}`);
      println(io.stderr, `see: rosterctl ${error.topic ? `${error.topic} ` : ''}--help`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      println(io.stderr, `rosterctl: ${error.message}`);
      return error.exitCode;
    }
    println(
      io.stderr,
      `rosterctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT.failed;
  }
}

type Command =
  | { kind: 'top' }
  | { kind: 'status' }
  | { kind: 'import'; words: readonly string[] }
  | { kind: 'router'; router: string; words: number }
  | { kind: 'call'; procedure: ProcedureInfo; words: number }
  | { kind: 'help'; topic: readonly string[] };

async function run(io: CliIo, catalog: Catalog): Promise<ExitCode> {
  // The command words come first (only global flags may stand before them).
  const words = leadingWords(splitGlobals(io.argv, () => false).rest);
  const command = resolveCommand(catalog, words);
  const valueFlags = (name: string) =>
    command.kind === 'status'
      ? name === 'runs'
      : command.kind === 'import'
        ? importValueFlags.has(name)
        : command.kind === 'call'
          ? takesValue(command.procedure.fields, name) ||
            isRootFlag(command, name) ||
            (command.procedure.path === 'user.import' && name === 'file')
          : false;
  const { globals, rest } = splitGlobals(io.argv, valueFlags);

  switch (command.kind) {
    case 'top':
      printLines(globals.help ? io.stdout : io.stderr, topHelp(catalog, defaultSettingsFile(io.env)));
      return globals.help ? EXIT.ok : EXIT.usage;
    case 'help':
      return printHelp(io, catalog, command.topic);
    case 'router':
      if (!globals.help && rest.length > command.words) {
        throw new UsageError(`unknown action "${rest[command.words]}" of ${command.router}`, command.router);
      }
      printLines(globals.help ? io.stdout : io.stderr, routerHelp(catalog, command.router));
      return globals.help ? EXIT.ok : EXIT.usage;
    case 'import':
      if (globals.help) {
        printLines(io.stdout, importHelp);
        return EXIT.ok;
      }
      return (await import('./import.ts')).importCommand(
        io,
        command.words,
        rest.slice(1 + command.words.length),
        globals.json,
      );
    case 'status':
    case 'call':
      break;
  }
  if (globals.help)
    return printHelp(io, catalog, words.slice(0, command.kind === 'call' ? command.words : 1));
  const tokens = rest.slice(command.kind === 'call' ? command.words : 1);

  if (
    command.kind === 'call' &&
    command.procedure.path === 'token.create' &&
    tokens.some((t) => t === '--root')
  ) {
    return (await import('./root-token.ts')).rootTokenCommand(io, tokens, globals.json);
  }
  const settings = resolveSettings(io.env, io.cwd, globals.cliConfig, (line) => println(io.stderr, line));
  const clients = createClients(settings);
  try {
    if (command.kind === 'status') return await statusCommand(io, clients, tokens, globals.json);
    return await call(io, clients, command.procedure, tokens, globals.json);
  } catch (error) {
    const explained = explainError(error, settings);
    if (!explained) throw error;
    printLines(
      io.stderr,
      explained.lines.map((l, i) => (i === 0 ? `rosterctl: ${l}` : `  ${l}`)),
    );
    return explained.exitCode;
  }
}

function leadingWords(tokens: readonly string[]): string[] {
  const words: string[] = [];
  for (const token of tokens) {
    if (token.startsWith('-')) break;
    words.push(token);
  }
  return words;
}

function resolveCommand(catalog: Catalog, words: readonly string[]): Command {
  const [first] = words;
  if (first === undefined) return { kind: 'top' };
  if (first === 'help') return { kind: 'help', topic: words.slice(1) };
  if (first === 'status' && !catalog.routers.includes('status')) return { kind: 'status' };
  if (first === 'import' && !catalog.routers.includes('import'))
    return { kind: 'import', words: words.slice(1) };
  if (!catalog.routers.includes(first))
    throw new UsageError(`unknown command "${first}" (routers: ${catalog.routers.join(', ')}; or status)`);
  // Nested routers: `a b c` may be action `b.c`; the longest match wins, what follows is input.
  for (let n = words.length - 1; n >= 1; n--) {
    const procedure = catalog.find(first, words.slice(1, n + 1).join('.'));
    if (procedure) return { kind: 'call', procedure, words: n + 1 };
  }
  return { kind: 'router', router: first, words: 1 };
}

const isRootFlag = (command: Command, name: string) =>
  command.kind === 'call' && command.procedure.path === 'token.create' && rootTokenValueFlags.has(name);

function printHelp(io: CliIo, catalog: Catalog, topic: readonly string[]): ExitCode {
  if (!topic.length) {
    printLines(io.stdout, topHelp(catalog, defaultSettingsFile(io.env)));
    return EXIT.ok;
  }
  if (topic[0] === 'import' && !catalog.routers.includes('import')) {
    printLines(io.stdout, importHelp);
    return EXIT.ok;
  }
  if (topic[0] === 'status' && !catalog.routers.includes('status')) {
    printLines(io.stdout, statusHelp);
    return EXIT.ok;
  }
  const command = resolveCommand(catalog, topic);
  if (command.kind === 'call') {
    const extra =
      command.procedure.path === 'token.create'
        ? rootTokenHelp
        : command.procedure.path === 'user.import'
          ? userImportHelp
          : ['sync.plan', 'sync.run', 'sync.force'].includes(command.procedure.path)
            ? syncHelp
            : [];
    printLines(io.stdout, [...actionHelp(command.procedure), ...extra]);
    return EXIT.ok;
  }
  if (command.kind === 'router') {
    if (topic.length > 1)
      throw new UsageError(`unknown action "${topic[1]}" of ${command.router}`, command.router);
    printLines(io.stdout, routerHelp(catalog, command.router));
    return EXIT.ok;
  }
  printLines(io.stdout, topHelp(catalog, defaultSettingsFile(io.env)));
  return EXIT.ok;
}

async function call(
  io: CliIo,
  clients: Clients,
  procedure: ProcedureInfo,
  tokens: readonly string[],
  json: boolean,
): Promise<ExitCode> {
  const topic = `${procedure.router} ${procedure.action}`;
  if (procedure.type === 'subscription')
    throw new UsageError(
      `${procedure.path} is a subscription; rosterctl calls queries and mutations only`,
      topic,
    );
  if (procedure.path === 'user.import') return userImportCommand(io, clients, tokens, json);
  if (procedure.path === 'sync.run' || procedure.path === 'sync.force' || procedure.path === 'sync.plan') {
    // `--all` is rosterctl's own: print every member of a large plan instead of the first ones.
    const all = tokens.includes('--all');
    const input = buildInput(
      procedure,
      tokens.filter((t) => t !== '--all'),
      io.cwd,
    );
    const action = procedure.action as 'run' | 'force' | 'plan';
    return syncCommand(io, clients, action, input as TargetInput, json, all);
  }
  const input = buildInput(procedure, tokens, io.cwd);

  const result = await clients.call(procedure.type, procedure.path, input);
  if (json) println(io.stdout, JSON.stringify(result ?? null, null, 2));
  else
    printLines(
      io.stdout,
      render(result, (cursor) => nextPageCommand(io.argv, cursor)),
    );
  return EXIT.ok;
}

// The entry: the only place that reads process and exits.
if (import.meta.main) {
  process.on('SIGINT', () => {
    process.stderr.write(
      '\r\u001b[2K\nrosterctl: interrupted; a sync run already sent goes on in the daemon (see rosterctl status)\n',
    );
    process.exit(130);
  });
  const code = await main({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    async ask(question: string) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  });
  process.exitCode = code;
  // Exit even if a keep-alive socket or a database handle lingers.
  setTimeout(() => process.exit(code), 2_000).unref();
}
