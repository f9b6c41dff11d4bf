import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/orm.ts';

/** The PostgreSQL server every development machine and CI runs (trust auth). */
export const postgresAdminUrl =
  process.env.ROSTER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly db: Database;
  /** Closes the connection and drops what the test created. */
  dispose(): Promise<void>;
}

/** The backends the integration suite runs on: PostgreSQL always, MongoDB where MONGODB_URL points at a server. */
export function backends(): ('postgresql' | 'mongodb')[] {
  return process.env.MONGODB_URL ? ['postgresql', 'mongodb'] : ['postgresql'];
}

/** A database of its own for one test file (or test), migrated and empty. */
export async function createTestDatabase(
  kind: 'postgresql' | 'mongodb' = 'postgresql',
): Promise<TestDatabase> {
  const name = `roster_test_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  if (kind === 'mongodb') {
    const base = new URL(process.env.MONGODB_URL!);
    base.pathname = `/${name}`;
    const db = await openDatabase({ url: base.toString(), dataDir: ':memory:' });
    await db.migrate();
    return {
      url: base.toString(),
      db,
      async dispose() {
        await (db.orm.schema as unknown as { dropSchema(): Promise<void> }).dropSchema();
        await db.close();
      },
    };
  }
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), dataDir: ':memory:' });
  await db.migrate();
  return {
    url: url.toString(),
    db,
    async dispose() {
      await db.close();
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}
