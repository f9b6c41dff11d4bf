import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { parseEncryptionKey } from '../crypto.ts';

/**
 * The whole configuration, with every default. `config/roster.example.yaml` and the README's
 * configuration reference are generated from the descriptions here (`npm run docs:config`),
 * so they cannot drift from what the daemon accepts.
 */

const isEncryptionKey = (key: string): boolean => {
  try {
    parseEncryptionKey(key);
    return true;
  } catch {
    return false;
  }
};

const port = z.number().int().min(0).max(65535);

/**
 * A cron line, checked with the parser pg-boss evaluates schedules with (cron-parser, UTC,
 * non-strict, as pg-boss calls it), so the config accepts exactly what the scheduler can run.
 */
const cron = z.string().superRefine((expression, ctx) => {
  if (expression.trim() === '') {
    ctx.addIssue({ code: 'custom', message: 'a cron expression cannot be empty (e.g. "*/10 * * * *")' });
    return;
  }
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC', strict: false });
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `not a cron expression ("${expression}"): ${(error as Error).message}; five fields, e.g. "*/10 * * * *"`,
    });
  }
});
const name = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'lowercase letters, digits, "-" and "_", starting with a letter or digit',
  );

export const teamspeakTargetSchema = z.strictObject({
  name: name.describe('Name of this target; mappings refer to it.'),
  host: z.string().min(1).describe('ServerQuery host.'),
  queryPort: port.default(10011).describe('ServerQuery (raw) port.'),
  serverId: z.number().int().min(1).default(1).describe('Virtual server id (`use sid=`).'),
  username: z.string().min(1).describe('ServerQuery login name.'),
  password: z.string().min(1).describe('ServerQuery password (secret; prefer the env override).'),
  nickname: z.string().min(1).max(30).default('Roster').describe('Nickname of the query client.'),
  commandsPerWindow: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe('Flood budget: commands per window (TeamSpeak default for non-whitelisted clients is 10).'),
  windowMs: z.number().int().min(100).default(3000).describe('Flood budget window in milliseconds.'),
  messageNicknames: z
    .boolean()
    .default(true)
    .describe('Send a private message to clients whose nickname differs from their tickered name.'),
});

export const discordTargetSchema = z.strictObject({
  name: name.describe('Name of this target; mappings refer to it.'),
  token: z.string().min(1).describe('Bot token (secret; prefer the env override).'),
  guildId: z
    .string()
    .regex(/^\d{15,21}$/, 'a Discord snowflake')
    .describe('Guild (server) id.'),
  apiBaseUrl: z.url().default('https://discord.com/api').describe('Discord API base URL (tests use a fake).'),
  setNicknames: z.boolean().default(true).describe("Set members' nicknames to their tickered names."),
  rolePermissions: z
    .string()
    .regex(/^\d+$/)
    .default('0')
    .describe('Permission bits given to roles Roster creates.'),
  oauthClientId: z.string().default('').describe('OAuth2 application id, for the link flow.'),
  oauthClientSecret: z.string().default('').describe('OAuth2 client secret (secret).'),
  interactionPublicKey: z
    .string()
    .regex(/^([0-9a-fA-F]{64})?$/, "64 hexadecimal characters (the application's public key), or empty")
    .default('')
    .describe(
      'Application public key (hex) that signs interactions, for the /link slash command; empty disables it.',
    ),
});

export const configSchema = z.strictObject({
  database: z
    .strictObject({
      url: z
        .string()
        .default('')
        .refine((u) => u === '' || /^(postgres(ql)?|mongodb(\+srv)?):\/\//.test(u), {
          message: 'empty (embedded), postgres://... or mongodb://...',
        })
        .describe('Directory database: postgres://..., mongodb://..., or empty for the embedded PGlite.'),
      dataDir: z.string().default('./data').describe('Where the embedded database keeps its files.'),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      databaseUrl: z
        .string()
        .default('')
        .refine((u) => u === '' || /^postgres(ql)?:\/\//.test(u), { message: 'empty or postgres://...' })
        .describe(
          'PostgreSQL for pg-boss; empty = the directory database when it is PostgreSQL or embedded.',
        ),
      schema: z.string().default('pgboss').describe('PostgreSQL schema pg-boss uses.'),
      reconcileCron: cron.default('*/10 * * * *').describe('Full TeamSpeak and Discord reconcile.'),
      affiliationCron: cron.default('17 * * * *').describe('ESI refresh of character affiliations.'),
      esiRefreshCron: cron.default('23 3 * * *').describe('ESI refresh of corporations and alliances.'),
      autogroupCron: cron.default('41 * * * *').describe('Autogroup rebuild.'),
      cleanupCron: cron.default('*/15 * * * *').describe('Expired links, states and tokens cleanup.'),
      syncDebounceSeconds: z
        .number()
        .int()
        .min(0)
        .max(300)
        .default(0)
        .describe(
          'Delay before an event-driven platform sync starts. At 0 the first change of a burst starts a run at once and changes made while it runs merge into one follow-up run.',
        ),
      retryLimit: z.number().int().min(0).default(5).describe('Attempts before a job is dead-lettered.'),
      retryDelaySeconds: z
        .number()
        .int()
        .min(1)
        .default(5)
        .describe('First delay before a failed job is retried; doubles on each retry (at most 5 minutes).'),
      heartbeatSeconds: z
        .number()
        .int()
        .min(10)
        .max(3600)
        .default(10)
        .describe(
          "A running job's worker proves it is alive this often (pg-boss heartbeat); the job of a dead worker is failed and retried within twice this time.",
        ),
      shutdownTimeoutMs: z
        .number()
        .int()
        .min(0)
        .default(30_000)
        .describe('How long a stop waits for running jobs.'),
    })
    .prefault({}),
  controlPlane: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('Address the HTTP control plane binds.'),
      port: port.default(8380).describe('Port of the HTTP control plane (0 = any free port).'),
      publicUrl: z
        .string()
        .default('')
        .describe('URL users reach the daemon at (OAuth callbacks); default http://host:port.'),
      maxAuthFailuresPerMinute: z
        .number()
        .int()
        .min(1)
        .default(20)
        .describe('Failed logins per address per minute.'),
      maxLoginStartsPerMinute: z
        .number()
        .int()
        .min(1)
        .default(30)
        .describe('EVE SSO logins an address may start per minute (each writes a state until it expires).'),
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .default(1_048_576)
        .describe(
          'Largest request body accepted on any route, checked before authentication (413 beyond; 1 MiB).',
        ),
    })
    .prefault({}),
  teamspeak: z
    .strictObject({
      targets: z
        .array(teamspeakTargetSchema)
        .default([])
        .describe('TeamSpeak virtual servers to keep in step.'),
      linkTtlSeconds: z
        .number()
        .int()
        .min(10)
        .default(120)
        .describe('Lifetime of a link nickname challenge.'),
      linkPollSeconds: z
        .number()
        .int()
        .min(0)
        .default(10)
        .describe(
          'How often pending link nicknames are looked for among online clients (0 = only on completeLink).',
        ),
    })
    .prefault({}),
  discord: z
    .strictObject({
      targets: z.array(discordTargetSchema).default([]).describe('Discord guilds to keep in step.'),
      linkTtlSeconds: z
        .number()
        .int()
        .min(10)
        .default(600)
        .describe('Lifetime of a link code or OAuth state.'),
    })
    .prefault({}),
  esi: z
    .strictObject({
      baseUrl: z.url().default('https://esi.evetech.net/latest').describe('ESI base URL.'),
      contact: z.string().default('').describe('Contact for the User-Agent (e-mail or in-game name).'),
      timeoutMs: z.number().int().min(100).default(10_000).describe('Per-request timeout.'),
    })
    .prefault({}),
  sso: z
    .strictObject({
      loginBaseUrl: z.url().default('https://login.eveonline.com').describe('EVE SSO base URL.'),
      clientId: z.string().default('').describe('EVE application client id; empty disables login.'),
      clientSecret: z.string().default('').describe('EVE application secret (secret).'),
      callbackUrl: z.string().default('').describe('Callback URL registered with the EVE application.'),
      encryptionKey: z
        .string()
        .default('')
        .refine((key) => key === '' || isEncryptionKey(key), {
          message: '32 random bytes as 64 hex characters or base64 (openssl rand -base64 32), or empty',
        })
        .describe('32-byte key (base64 or hex) that encrypts refresh tokens at rest (secret).'),
      scopes: z
        .array(z.string().min(1))
        .default([])
        .describe(
          "ESI scopes asked at every member's login, besides the user's mandatory ones (corporation, alliance, coalitions).",
        ),
      guestScopes: z
        .array(z.string().min(1))
        .default([])
        .describe(
          "ESI scopes asked at a guest's login (and required of guests), instead of sso.scopes and the host's mandatory ones.",
        ),
      stateTtlSeconds: z
        .number()
        .int()
        .min(30)
        .max(3600)
        .default(600)
        .describe('Lifetime of a login state (start to callback).'),
      inviteTtlSeconds: z
        .number()
        .int()
        .min(60)
        .default(7 * 86_400)
        .describe('Lifetime of a corporation guest invitation link (single use).'),
      apiTokenTtlSeconds: z
        .number()
        .int()
        .min(60)
        .default(30 * 86_400)
        .describe('Lifetime of the API token a login issues.'),
      sessionTtlSeconds: z
        .number()
        .int()
        .min(300)
        .default(7 * 86_400)
        .describe('Lifetime of a member portal browser session (log out ends it sooner).'),
    })
    .prefault({}),
  sync: z
    .strictObject({
      maxRemovalShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.25)
        .describe('Refuse a run that removes more than this share of managed memberships.'),
      maxRemovals: z
        .number()
        .int()
        .min(0)
        .default(1000)
        .describe('Refuse a run that removes more than this many memberships.'),
      guardMinRemovals: z
        .number()
        .int()
        .min(0)
        .default(10)
        .describe(
          'Fewer removals than this never trip maxRemovalShare (only maxRemovals applies): one stray member of a small adopted group is not a wiped directory.',
        ),
      removalGraceMinutes: z
        .number()
        .min(0)
        .default(0)
        .describe('A removal applies only once planned continuously this long.'),
      leaseTtlSeconds: z
        .number()
        .int()
        .min(3)
        .max(600)
        .default(30)
        .describe(
          "Life of a target's lease without a heartbeat (renewed every third of it): a dead daemon's target is free again this long after it died.",
        ),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
        .default('info')
        .describe('Log level.'),
      pretty: z
        .enum(['auto', 'always', 'never'])
        .default('auto')
        .describe('Pretty logs (auto = when stdout is a TTY).'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type TeamspeakTargetConfig = z.infer<typeof teamspeakTargetSchema>;
export type DiscordTargetConfig = z.infer<typeof discordTargetSchema>;

/** Config keys whose values are secrets: redacted in logs and in `system.config`. */
export const secretKeys = [
  'password',
  'token',
  'clientSecret',
  'oauthClientSecret',
  'encryptionKey',
] as const;
