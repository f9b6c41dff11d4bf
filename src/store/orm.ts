import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EntityManager, MikroORM, Options } from '@mikro-orm/core';
import { MongoNamingStrategy } from '@mikro-orm/core';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../logger.ts';
import { entities } from './entities/index.ts';
import { sqlMigrations } from './migrations/index.ts';
import { lockDataDir } from './embedded-lock.ts';
import { DatabaseUnreachableError } from './errors.ts';

export type DatabaseKind = 'embedded' | 'postgresql' | 'mongodb';

export interface Database {
  readonly kind: DatabaseKind;
  readonly orm: MikroORM;
  /** The embedded PGlite instance (shared with pg-boss), or null on a server database. */
  readonly pglite: PGlite | null;
  /** A fresh entity manager for one unit of work (a request, a job, a run). */
  fork(): EntityManager;
  /** Brings the schema up to date; idempotent. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://..., mongodb://..., or '' for the embedded PGlite. */
  readonly url: string;
  /** Where the embedded database keeps its files; ':memory:' keeps it in memory (tests). */
  readonly dataDir: string;
  /** PostgreSQL schema to use (tests isolate themselves with one schema each). */
  readonly schema?: string;
  readonly logger?: Logger;
  readonly debug?: boolean;
}

/** Maps `id` to Mongo's `_id`, so one entity model serves both drivers. */
export class RosterMongoNamingStrategy extends MongoNamingStrategy {
  override propertyToColumnName(propertyName: string): string {
    return propertyName === 'id' ? '_id' : propertyName;
  }
}

export function databaseKind(url: string): DatabaseKind {
  if (url === '') return 'embedded';
  if (/^mongodb(\+srv)?:\/\//.test(url)) return 'mongodb';
  return 'postgresql';
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const kind = databaseKind(options.url);
  const common: Partial<Options> = {
    entities,
    debug: options.debug ?? false,
    // MikroORM's own lines (migrations, debug queries) go to the daemon's logger, not stdout.
    logger: (message: string) => options.logger?.debug({ area: 'orm' }, message),
    // Entities are read on every request from fresh forks; the global context is never used.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: true },
  };
  if (kind === 'mongodb') {
    const { MikroORM: MongoMikroORM } = await import('@mikro-orm/mongodb');
    const orm = await reachable(options.url, () =>
      MongoMikroORM.init({
        ...common,
        clientUrl: options.url,
        namingStrategy: RosterMongoNamingStrategy,
        // MongoDB transactions need a replica set; without one, writes are single-document atomic.
        implicitTransactions: false,
      }),
    );
    return wrap(kind, orm as unknown as MikroORM, null, async () => {
      await (orm.schema as { ensureIndexes(): Promise<void> }).ensureIndexes();
      return ['mongodb: indexes ensured'];
    });
  }

  const { Migrator } = await import('@mikro-orm/migrations');
  const migrations: Options['migrations'] = {
    migrationsList: sqlMigrations,
    transactional: true,
    allOrNothing: true,
    snapshot: false,
    tableName: 'roster_migrations',
  };
  if (kind === 'postgresql') {
    const { MikroORM: PostgreSqlMikroORM } = await import('@mikro-orm/postgresql');
    const orm = await reachable(options.url, () =>
      PostgreSqlMikroORM.init({
        ...common,
        clientUrl: options.url,
        ...(options.schema ? { schema: options.schema } : {}),
        extensions: [Migrator],
        migrations: { ...migrations, ...(options.schema ? { schema: options.schema } : {}) },
        pool: { min: 0, max: 10 },
      } as Options),
    );
    return wrap(kind, orm as unknown as MikroORM, null, () =>
      runSqlMigrations(orm as unknown as MikroORM, options.schema),
    );
  }

  const { PGlite } = await import('@electric-sql/pglite');
  const { MikroORM: PgliteMikroORM } = await import('@mikro-orm/pglite');
  let dataDir = options.dataDir;
  let unlock = () => {};
  if (dataDir !== ':memory:') {
    dataDir = resolve(dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = dataDir === ':memory:' ? new PGlite() : new PGlite(dataDir);
  await pglite.waitReady;
  const orm = await PgliteMikroORM.init({
    ...common,
    dbName: 'postgres',
    driverOptions: { pglite },
    extensions: [Migrator],
    migrations,
  } as Options);
  return wrap(
    kind,
    orm as unknown as MikroORM,
    pglite,
    () => runSqlMigrations(orm as unknown as MikroORM),
    async () => {
      await pglite.close();
      unlock();
    },
  );
}

/** Opens a server database and checks that it answers, or says which URL does not and why. */
async function reachable<
  T extends {
    connect(): Promise<unknown>;
    checkConnection(): Promise<{ ok: true } | { ok: false; reason: string; error?: Error }>;
    close(force?: boolean): Promise<void>;
  },
>(url: string, open: () => Promise<T>): Promise<T> {
  let orm: T | undefined;
  try {
    orm = await open();
    await orm.connect();
    const check = await orm.checkConnection();
    if (!check.ok) throw check.error ?? new Error(check.reason);
    return orm;
  } catch (error) {
    await orm?.close(true).catch(() => undefined);
    throw new DatabaseUnreachableError(url, error);
  }
}

async function runSqlMigrations(orm: MikroORM, schema?: string): Promise<string[]> {
  if (schema) await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const done = await orm.migrator.up();
  return done.map((m) => m.name);
}

function wrap(
  kind: DatabaseKind,
  orm: MikroORM,
  pglite: PGlite | null,
  migrate: () => Promise<string[]>,
  afterClose?: () => Promise<void>,
): Database {
  let closing: Promise<void> | null = null;
  return {
    kind,
    orm,
    pglite,
    fork: () => orm.em.fork(),
    migrate,
    close() {
      closing ??= (async () => {
        await orm.close(true);
        await afterClose?.();
      })();
      return closing;
    },
  };
}
