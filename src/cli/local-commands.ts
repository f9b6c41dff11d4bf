// What rosterctl's local commands (those that do not go through a procedure) accept and say. Kept
// apart from the commands themselves: those load the daemon's database code, which a `--help` or
// an ordinary call must not pay for.

/** `rosterctl token create --root`: the flags that take a value. */
export const rootTokenValueFlags = new Set(['config', 'comment', 'ttlSeconds', 'ttl-seconds']);

export const rootTokenHelp = [
  '',
  'rosterctl token create --root [--config PATH] [--comment TEXT] [--ttlSeconds N|none]',
  "  creates an application token for root in the daemon's database directly (no daemon, no existing token),",
  "  reading the daemon config's database section as the daemon does (creating and migrating the database",
  '  on a fresh install); prints the secret once on stdout. With the embedded database the daemon must be',
  '  stopped first. --ttlSeconds defaults to none (no expiry).',
];

export const userImportHelp = [
  '',
  'rosterctl user import --file PATH   (or the list on stdin, or --file -)',
  '  one character id or exact character name a line (blank lines and # comments skipped); sent in',
  '  parts of 1,000 with a progress bar on a terminal. Prints what was created, already a user,',
  '  unknown to EVE or refused; exits 1 when something was unknown or refused.',
];

export const syncHelp = [
  '',
  'rosterctl sync plan|run|force --platform P --target T [--all]',
  '  names each member beside its id (character name and platform nickname), ids in numeric order;',
  '  a long list shows its first 20 members per group and how many more: --all prints every one.',
  '  sync run gets the run id at once and follows the run to its end, however long it takes (phase,',
  '  calls done out of planned, ETA; a progress bar on a terminal), then exits with its outcome.',
];

export const statusHelp = [
  'rosterctl status [--runs N] [--json]',
  '',
  'Per platform target: connection, last run (status, when, changes, calls), drift and the last applied run;',
  'then the last N runs (default 10). From sync.status and sync.runs.',
];

export const importValueFlags = new Set([
  'file',
  'dir',
  'url',
  'config',
  'teamspeak-target',
  'discord-target',
]);

export const importHelp = [
  'rosterctl import alliance-auth --file dump.json [--dry-run | --yes] [--config PATH] [--teamspeak-target NAME] [--discord-target NAME] [--no-teamspeak-links] [--json]',
  'rosterctl import sni (--dir EXPORT_FOLDER | --url mongodb://...) [same flags]',
  '',
  "Imports a community into the daemon's database, where the file is: rosterctl reads the export and writes the",
  'directory itself, all or nothing, in one transaction (so no request body limit applies; with the embedded',
  'database the daemon must be stopped first). It always prints the dry run first: counts of what would be',
  'created, updated or left alone, and every problem record with its reason. --dry-run stops there; on a',
  'terminal it then asks; elsewhere --yes is needed to write. Running it again changes nothing.',
  'Mappings go to the first configured target of each platform unless --teamspeak-target/--discord-target name one.',
  'TeamSpeak identities become links: rosterctl asks that target (a query client of its own) for the clients, in',
  "batches (Alliance Auth's sso_uid in one customsearch, database ids 100 a clientdbinfo); unknown ones are problems.",
  'An unreachable target stops the import before anything is written; --no-teamspeak-links leaves them listed instead.',
];
