/**
 * The export files (and a live SNI database) as the readers take them: the I/O half of the
 * importers. Every failure names the file or collection.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EJSON } from 'bson';
import type { ImportSource } from './source.ts';
import { readAllianceAuth } from './alliance-auth.ts';
import { ImportFormatError } from './errors.ts';
import { readSni, type SniCollections } from './sni.ts';

const SNI_COLLECTIONS = ['user', 'group', 'corporation', 'alliance', 'coalition'] as const;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ImportFormatError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** `python manage.py dumpdata ... > dump.json`. */
export function readAllianceAuthFile(path: string): ImportSource {
  let dump: unknown;
  try {
    dump = JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof ImportFormatError) throw error;
    throw new ImportFormatError(`${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    return readAllianceAuth(dump);
  } catch (error) {
    if (error instanceof ImportFormatError) throw new ImportFormatError(`${path}: ${error.message}`);
    throw error;
  }
}

/**
 * A folder of `mongoexport --jsonArray --collection <c> --out <c>.json` files (extended JSON,
 * relaxed or canonical; `$numberLong` is read exactly). A missing collection is an empty one.
 */
export function readSniFolder(dir: string): ImportSource {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (error) {
    throw new ImportFormatError(`cannot read the folder ${dir}: ${(error as Error).message}`);
  }
  const collections = Object.fromEntries(
    SNI_COLLECTIONS.map((name) => {
      if (!files.includes(`${name}.json`)) return [name, []];
      const path = join(dir, `${name}.json`);
      let docs: unknown;
      try {
        docs = EJSON.parse(readText(path), { relaxed: true, useBigInt64: true });
      } catch (error) {
        if (error instanceof ImportFormatError) throw error;
        throw new ImportFormatError(`${path} is not extended JSON: ${(error as Error).message}`);
      }
      if (!Array.isArray(docs))
        throw new ImportFormatError(`${path}: not a JSON array (export with mongoexport --jsonArray)`);
      return [name, docs];
    }),
  ) as unknown as SniCollections;
  return readSni(collections);
}

/** A live SNI database through the MongoDB driver (read only). */
export async function readSniDatabase(url: string): Promise<ImportSource> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const db = client.db();
    const entries = await Promise.all(
      SNI_COLLECTIONS.map(
        async (name) => [name, await db.collection(name).find({}, { useBigInt64: true }).toArray()] as const,
      ),
    );
    return readSni(Object.fromEntries(entries) as unknown as SniCollections);
  } catch (error) {
    if (error instanceof ImportFormatError) throw error;
    throw new ImportFormatError(
      `cannot read the SNI database: ${(error as Error).message.replace(url, '<url>')}`,
    );
  } finally {
    await client.close();
  }
}
