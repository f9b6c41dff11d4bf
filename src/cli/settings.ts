import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from './io.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8380';

/** Where the control plane is and how to authenticate; the token is never printed. */
export interface Settings {
  /** Base URL of the daemon (without `/trpc`). */
  readonly url: string;
  readonly token: string | null;
  /** Where the token came from (`ROSTER_TOKEN`, or the settings file's path), for messages. */
  readonly tokenSource: string | null;
  /** The settings file looked at (it may not exist). */
  readonly file: string;
}

const fileSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).optional(),
  token: z.string().min(1).optional(),
});

/** `$XDG_CONFIG_HOME/roster/cli.json`, else `~/.config/roster/cli.json`. */
export function defaultSettingsFile(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'roster', 'cli.json');
}

/**
 * `ROSTER_URL` and `ROSTER_TOKEN` win over the settings file (`--cli-config`, else the default
 * path); a missing file is fine, a malformed one is a usage error naming the file and key.
 */
export function resolveSettings(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  explicitFile: string | null,
  warn: (line: string) => void,
): Settings {
  const file = explicitFile ? resolve(cwd, explicitFile) : defaultSettingsFile(env);
  if (explicitFile && !existsSync(file)) throw new UsageError(`settings file not found: ${file}`);
  const fromFile = existsSync(file) ? readSettingsFile(file, warn) : {};
  const envUrl = env.ROSTER_URL?.trim();
  const envToken = env.ROSTER_TOKEN?.trim();
  if (envUrl) checkUrl(envUrl, 'ROSTER_URL');
  const token = envToken || fromFile.token || null;
  return {
    url: trimUrl(envUrl || fromFile.url || DEFAULT_URL),
    token,
    tokenSource: envToken ? 'ROSTER_TOKEN' : fromFile.token ? file : null,
    file,
  };
}

function readSettingsFile(file: string, warn: (line: string) => void): z.infer<typeof fileSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new UsageError(
      `${file}: ${problems.join('; ')} (expected { "url": "http://...", "token": "rst_..." })`,
    );
  }
  // A token others can read is a token others can use.
  if (parsed.data.token && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    warn(`warning: ${file} holds a token and is readable by others; run: chmod 600 ${file}`);
  }
  return parsed.data;
}

function checkUrl(url: string, source: string): void {
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url))
    throw new UsageError(`${source} must be an http(s) URL, not "${url}"`);
}

/** `http://host:8380/` and `http://host:8380/trpc` both mean the daemon at `http://host:8380`. */
function trimUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/trpc$/, '');
}
