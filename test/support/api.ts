import { ssoClientFromConfig } from '../../src/directory/clients.ts';
import { createAuthLimiter } from '../../src/services/auth/rate-limit.ts';
import { pino } from 'pino';
import type { ApiDeps, DirectoryEsi, JobControl } from '../../src/api/deps.ts';
import type { DiscordOAuthPort, LinkPorts } from '../../src/domain/link-ports.ts';
import { createControlPlane, type HttpRoute } from '../../src/api/http.ts';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { type User } from '../../src/store/entities/index.ts';
import { createToken } from '../../src/services/auth/tokens.ts';
import { createReconciler } from '../../src/sync/engine.ts';
import type { DirectoryScope } from '../../src/sync/scope.ts';
import { rebuildDerivedMembership } from '../../src/services/autogroups.ts';
import { createNotifier, syncScopeAfterRebuild } from '../../src/services/notifier.ts';
import type { UnitsOfWork, UseCaseContext } from '../../src/services/use-case.ts';
import { coalesced } from './coalesce.ts';
import type { PlatformTarget } from '../../src/sync/target.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { newUser } from '../../src/store/records.ts';
import { rosterClient, type RosterClient } from './client.ts';
import { MemoryTarget } from './memory-target.ts';

interface SyncRequest {
  platform: string;
  target: string | null;
  trigger: string;
  scope?: DirectoryScope;
}

const silent = pino({ level: 'silent' });

/**
 * A JobControl that records what the control plane asked for instead of running pg-boss. A
 * rebuild runs at once, as the rebuild job would (one at a time, a burst sharing one:
 * coalesce.ts), and then records the syncs it asks for, so tests see derived membership as the
 * request left it.
 */
export function recordingJobs(db: UnitsOfWork): JobControl & {
  syncRequests: SyncRequest[];
  rebuildRequests: { trigger: string; scope?: DirectoryScope }[];
} {
  const syncRequests: SyncRequest[] = [];
  const rebuildRequests: { trigger: string; scope?: DirectoryScope }[] = [];
  const rebuild = coalesced(() => rebuildDerivedMembership(db.fork(), silent));
  const requestSync: JobControl['requestSync'] = async (platform, target, trigger, scope) => {
    syncRequests.push({ platform, target, trigger, ...(scope ? { scope } : {}) });
  };
  return {
    syncRequests,
    rebuildRequests,
    requestSync,
    async requestRebuild(trigger, scope) {
      rebuildRequests.push({ trigger, ...(scope ? { scope } : {}) });
      const then = syncScopeAfterRebuild(await rebuild(), scope) ?? undefined;
      await Promise.all([
        requestSync('teamspeak', null, trigger, then),
        requestSync('discord', null, trigger, then),
      ]);
    },
    async list() {
      return [];
    },
    async trigger() {
      return 'job-id';
    },
    async ready() {
      return true;
    },
  };
}

/** A Discord port that is not there: every step throws. */
const noDiscord: DiscordOAuthPort = {
  authorizeUrl: () => {
    throw new Error('no Discord link platform in this test');
  },
  exchangeCode: async () => {
    throw new Error('no Discord link platform in this test');
  },
  fetchCurrentUser: async () => {
    throw new Error('no Discord link platform in this test');
  },
  addGuildMember: async () => {
    throw new Error('no Discord link platform in this test');
  },
};

/** Link ports that answer as if no target were reachable; tests give the ones they use. */
const unconfiguredLinks: LinkPorts = {
  teamspeak: () => ({ listOnlineClients: async () => [], findKnownClients: async () => [] }),
  discord: () => noDiscord,
};

export interface TestApi {
  readonly t: TestDatabase;
  readonly url: string;
  readonly deps: ApiDeps;
  readonly jobs: ReturnType<typeof recordingJobs>;
  readonly rootId: string;
  /** A typed tRPC client; without a token it is anonymous. */
  client(token?: string): RosterClient;
  /** Creates a user (defaults: level 0, no corporation) and returns it with a fresh token. */
  user(
    fields?: Partial<
      Pick<
        User,
        | 'characterId'
        | 'characterName'
        | 'corporationId'
        | 'clearanceLevel'
        | 'authorizedToLogin'
        | 'discordUserId'
      >
    >,
  ): Promise<{ id: string; token: string }>;
  /** What a use case called directly (not through the control plane) is given, as `actorId`. */
  useCase(actorId: string | null): UseCaseContext;
  stop(): Promise<void>;
}

export interface TestApiOptions {
  /** Config overrides (parsed through the real schema). */
  readonly config?: Record<string, unknown>;
  readonly targets?: PlatformTarget[];
  readonly links?: Partial<LinkPorts>;
  readonly routes?: (deps: ApiDeps) => HttpRoute[];
  /** ESI facts for corporation.track/alliance.track; absent, track takes them as input. */
  readonly directoryEsi?: DirectoryEsi;
}

let nextCharacterId = 90_000_000;

/** The real control plane over real HTTP on a fresh PostgreSQL database. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const t = await createTestDatabase();
  const config: Config = configSchema.parse({
    ...options.config,
    controlPlane: { port: 0, ...(options.config?.controlPlane as object) },
  });
  const logger = pino({ level: 'silent' });
  const { rootId } = await bootstrap(t.db.fork());
  const jobs = recordingJobs(t.db);
  const targets = options.targets ?? [];
  const deps: ApiDeps = {
    db: t.db,
    config,
    logger,
    reconciler: createReconciler(t.db, targets, { ...config.sync }, logger),
    jobs,
    notifier: createNotifier(jobs),
    links: { ...unconfiguredLinks, ...options.links },
    ...(options.directoryEsi ? { directoryEsi: options.directoryEsi } : {}),
    sso: ssoClientFromConfig(config),
    loginStarts: createAuthLimiter(config.controlPlane.maxLoginStartsPerMinute),
    version: 'test',
    startedAt: new Date(),
  };
  const plane = createControlPlane(deps, options.routes?.(deps) ?? []);
  const url = await plane.start();
  return {
    t,
    url,
    deps,
    jobs,
    rootId,
    client: (token?: string) => rosterClient(url, token),
    async user(fields = {}) {
      const em = t.db.fork();
      const user = newUser(em, {
        characterId: fields.characterId ?? nextCharacterId++,
        characterName: fields.characterName ?? `Pilot ${nextCharacterId}`,
        corporationId: fields.corporationId ?? null,
        clearanceLevel: fields.clearanceLevel ?? 0,
        authorizedToLogin: fields.authorizedToLogin ?? null,
        discordUserId: fields.discordUserId ?? null,
      });
      await em.flush();
      const token = await createToken(t.db.fork(), {
        userId: user.id,
        kind: 'user',
        comment: 'test',
        ttlSeconds: 3600,
      });
      return { id: user.id, token: token.secret };
    },
    useCase: (actorId) => ({ db: t.db, author: { actorId, requestId: null }, notifier: deps.notifier }),
    async stop() {
      await plane.stop();
      await t.dispose();
    },
  };
}

/**
 * A control plane with every platform configured (a TeamSpeak target served in memory, a Discord
 * guild with OAuth, EVE SSO), so every procedure can be called: the matrix and fuzz tests use it.
 */
export function everyPlatformOptions(ssoClientId: string): TestApiOptions {
  return {
    config: {
      teamspeak: { targets: [{ name: 'main', host: '127.0.0.1', username: 'q', password: 'p' }] },
      discord: {
        targets: [
          {
            name: 'guild',
            token: 'bot',
            guildId: '123456789012345678',
            oauthClientId: '1',
            oauthClientSecret: 's',
          },
        ],
      },
      sso: { clientId: ssoClientId, clientSecret: 'secret', callbackUrl: 'http://127.0.0.1/auth/callback' },
    },
    targets: [new MemoryTarget('teamspeak', 'main')],
    links: {
      discord: () => ({
        ...noDiscord,
        authorizeUrl: ({ state }) => `https://discord.test/oauth2/authorize?state=${state}`,
      }),
    },
  };
}
