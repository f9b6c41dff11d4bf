import { TRPCClientError } from '@trpc/client';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { appRouter } from '../../src/api/router.ts';
import { everyPlatformOptions, startTestApi, type TestApi } from '../support/api.ts';
import { addAlliance, addCoalition, addCorporation, addGroup, addUser } from '../support/rows.ts';

/**
 * Random and malformed inputs to every procedure, as a superuser and anonymously: only typed
 * client errors (HTTP 4xx) or success come back, never a 500; and an input that fails validation
 * changes nothing in the database (a fingerprint of every table, before and after).
 * FUZZ_SEED=<n> replays a run (the seed is in every failure message); FUZZ_STATS=1 prints how many
 * inputs of each procedure passed validation.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS = 24;

interface Procedure {
  _def: { type: 'query' | 'mutation' | 'subscription'; inputs: z.ZodType[] };
}
const procedures = appRouter._def.procedures as unknown as Record<string, Procedure>;

/** The keys an input schema knows (through defaults, pipes and unions), so inputs can be shaped like it. */
function keysOf(schema: unknown, depth = 0): string[] {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
  if (!def || depth > 8) return [];
  if (def.type === 'object') return Object.keys(def.shape as object);
  if (def.type === 'union') return (def.options as unknown[]).flatMap((o) => keysOf(o, depth + 1));
  return keysOf(def.innerType ?? def.in, depth + 1);
}

/** Real ids and EVE ids of the fixture, so that some random inputs reach past validation. */
interface Pool {
  readonly ids: string[];
  readonly eveIds: number[];
}

function arbitraries(pool: Pool) {
  const tricky = fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '🚀'.repeat(40),
    "'; drop table users; --",
    '{"$gt":""}',
    '__proto__',
    'constructor',
    'x'.repeat(101),
    'y'.repeat(2001),
    'corp:ABC',
    'superusers',
    'main',
    'guild',
    'teamspeak',
    'discord',
    'cleanup',
    'application',
    'manual',
    '2026-01-01T00:00:00.000Z|x',
    '-271821-04-20T00:00:00.000Z|x',
  );
  const str = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    tricky,
    fc.constantFrom(...pool.ids),
  );
  const num = fc.oneof(
    fc.integer(),
    fc.integer({ min: -3, max: 12 }),
    fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 63), 1e308, 0.5, ...pool.eveIds),
    fc.double(),
  );
  const mongoOperator = fc.oneof(
    fc.record({ $gt: str }),
    fc.record({ $ne: fc.constant(null) }),
    fc.record({ $in: fc.array(str, { maxLength: 2 }) }),
  );
  const leaf = fc.oneof(str, num, fc.boolean(), fc.constant(null));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      leaf,
      mongoOperator,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
    ),
  }));
  /** Values that fit a key's name (usually valid ones), so that shaped inputs often pass validation. */
  const good = (key: string): fc.Arbitrary<unknown> => {
    if (/^(id|userId|groupId|actorId)$/.test(key)) return fc.constantFrom(...pool.ids);
    if (key === 'cursor') {
      const time = fc
        .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
        .map((d) => d.toISOString());
      return fc.oneof(
        fc.constantFrom(null, ...pool.ids),
        fc.tuple(time, fc.constantFrom(...pool.ids)).map(([t, id]) => `${t}|${id}`),
      );
    }
    if (/Id$/.test(key))
      return fc.oneof(fc.constantFrom(...pool.eveIds), fc.integer({ min: 1, max: 2 ** 31 }));
    if (key === 'platform') return fc.constantFrom('teamspeak', 'discord');
    if (key === 'target') return fc.constantFrom('main', 'guild', 'nope');
    if (key === 'kind') return fc.constantFrom('manual', 'auto', 'user', 'application');
    if (key === 'method') return fc.constantFrom('oauth', 'code');
    if (key === 'mode') return fc.constantFrom('managed', 'grantOnly');
    if (key === 'displayName') return fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant(null));
    if (key === 'limit') return fc.integer({ min: 1, max: 500 });
    if (key === 'level') return fc.integer({ min: -1, max: 10 });
    if (key === 'ttlSeconds') return fc.oneof(fc.integer({ min: 60, max: 86_400 }), fc.constant(null));
    if (/^(authorizedToLogin|includeGuests|tracked)$/.test(key)) return fc.constantFrom(true, false, null);
    if (key === 'userIds') return fc.array(fc.constantFrom(...pool.ids), { minLength: 1, maxLength: 3 });
    if (
      /^(alliances|corporations|addAlliances|removeAlliances|addCorporations|removeCorporations)$/.test(key)
    ) {
      return fc.array(fc.oneof(fc.constantFrom(...pool.eveIds), fc.constantFrom('FZA', 'FZC', 'NOPE')), {
        maxLength: 3,
      });
    }
    if (key === 'mandatoryEsiScopes')
      return fc.array(fc.constantFrom('esi-a.v1', 'esi-b.v1'), { maxLength: 2 });
    if (key === 'ticker') return fc.stringMatching(/^[A-Z0-9]{1,10}$/);
    if (key === 'name')
      return fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('cleanup', 'reconcile'));
    if (/^(description|comment|characterName|action|subject)$/.test(key))
      return fc.string({ minLength: 1, maxLength: 20 });
    return value;
  };
  /** Either a likely-valid value or anything at all. */
  const plausible = (key: string) =>
    fc.oneof({ weight: 3, arbitrary: good(key) }, { weight: 1, arbitrary: value });
  const shaped = (keys: readonly string[]) =>
    fc
      .tuple(
        fc.record(Object.fromEntries(keys.map((k) => [k, plausible(k)])), { requiredKeys: [] }),
        fc.option(fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 2 }), { freq: 4 }),
      )
      .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));
  /** All known keys (some dropped), each with a likely-valid value: these reach the procedures' logic. */
  const nearlyValid = (keys: readonly string[]) =>
    fc.record(Object.fromEntries(keys.map((k) => [k, good(k)])), {
      requiredKeys: keys.filter((_, i) => i % 3 === 0),
    });
  return (keys: readonly string[]) =>
    fc.oneof(
      { weight: 1, arbitrary: value },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: shaped(keys) },
      { weight: 3, arbitrary: nearlyValid(keys) },
    );
}

/** What the server receives: the input after a JSON round trip (undefined members vanish). */
const overTheWire = (input: unknown): unknown =>
  input === undefined ? undefined : JSON.parse(JSON.stringify(input));

const holdsNul = (v: unknown): boolean => JSON.stringify(v ?? null).includes('\\u0000');

function failsValidation(procedure: Procedure, input: unknown): boolean {
  if (holdsNul(input)) return true;
  return procedure._def.inputs.some((schema) => !schema.safeParse(input).success);
}

type Outcome = { ok: true } | { ok: false; status: number; code: string; message: string };

async function call(api: TestApi, path: string, token: string | undefined, input: unknown): Promise<Outcome> {
  let node: any = api.client(token);
  for (const part of path.split('.')) node = node[part];
  try {
    await (procedures[path]!._def.type === 'query' ? node.query(input) : node.mutate(input));
    return { ok: true };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    // A query's input rides in the URL: Node answers an oversized one with a plain 431, no tRPC body.
    const status = Number(
      error.data?.httpStatus ?? (error.meta as { response?: Response } | undefined)?.response?.status ?? 0,
    );
    return { ok: false, status, code: String(error.data?.code ?? 'no tRPC body'), message: error.message };
  }
}

/** One fingerprint of every table's rows (last token use aside: it is advisory and written on use). */
async function fingerprint(client: pg.Client, tables: readonly string[]): Promise<string> {
  const sql = tables
    .map(
      (t) =>
        `select '${t}' as t, md5(coalesce(string_agg(x.j, ',' order by x.j), '')) as h from (select (to_jsonb(r) - 'last_used_at')::text as j from "${t}" r) x`,
    )
    .join(' union all ');
  const { rows } = await client.query<{ t: string; h: string }>(sql);
  return rows.map((r) => `${r.t}:${r.h}`).join(' ');
}

async function inChunks<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

const show = (input: unknown) => {
  const text = input === undefined ? 'undefined' : JSON.stringify(input);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

describe(`fuzzing every procedure (seed ${SEED})`, () => {
  let api: TestApi;
  let superuser: { id: string; token: string };
  let client: pg.Client;
  let tables: string[];
  let inputsFor: (keys: readonly string[]) => fc.Arbitrary<unknown>;

  beforeAll(async () => {
    api = await startTestApi(everyPlatformOptions('fuzz'));
    superuser = await api.user({ clearanceLevel: 10 });
    const em = api.t.db.fork();
    addAlliance(em, 99_800_001, { ticker: 'FZA', executorCorporationId: 98_800_001 });
    addCorporation(em, 98_800_001, { ticker: 'FZC', allianceId: 99_800_001 });
    const victim = addUser(em, 'Fuzz Victim', { corporationId: 98_800_001 });
    const guest = addUser(em, 'Fuzz Guest', { corporationId: 98_800_001, clearanceLevel: -1 });
    const group = addGroup(em, 'Fuzz Group', [victim.id], { ownerId: superuser.id });
    const coalition = addCoalition(em, 'Fuzz Coalition', { ticker: 'FZCO', allianceIds: [99_800_001] });
    await em.flush();
    inputsFor = arbitraries({
      ids: [api.rootId, victim.id, guest.id, group.id, coalition.id],
      eveIds: [98_800_001, 99_800_001, 90_000_001],
    });
    client = new pg.Client({ connectionString: api.t.url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    );
    tables = rows.map((r) => r.table_name);
    await api.client(superuser.token).token.list.query(); // the token's first use is written now, not during a batch
  });
  afterAll(async () => {
    await client?.end();
    await api?.stop();
  });

  it('covers every procedure of the router', () => {
    expect(Object.keys(procedures).length).toBeGreaterThan(50);
  });

  it.for(Object.keys(procedures))('%s', async (path, { expect }) => {
    const procedure = procedures[path]!;
    const inputs = fc
      .sample(inputsFor(keysOf(procedure._def.inputs[0])), { numRuns: RUNS, seed: SEED + path.length })
      .map(overTheWire);
    const invalid = inputs.filter((i) => failsValidation(procedure, i));
    const valid = inputs.filter((i) => !failsValidation(procedure, i));
    const failures: string[] = [];
    if (process.env.FUZZ_STATS)
      console.log(`${path}: ${valid.length} valid, ${invalid.length} invalid inputs`);
    const check = (who: string, input: unknown, outcome: Outcome, expectedCodes?: readonly string[]) => {
      const typed =
        outcome.ok ||
        (outcome.status >= 400 && outcome.status < 500 && outcome.code !== 'INTERNAL_SERVER_ERROR');
      const fitting = outcome.ok ? !expectedCodes : !expectedCodes || expectedCodes.includes(outcome.code);
      if (!typed || !fitting) {
        failures.push(
          `${who} ${show(input)} -> ${outcome.ok ? 'success' : `${outcome.status} ${outcome.code}: ${outcome.message}`} (seed ${SEED})`,
        );
      }
    };

    // Inputs that fail validation: a 4xx (BAD_REQUEST, or UNAUTHORIZED first when anonymous) and not one row changed.
    const before = await fingerprint(client, tables);
    await inChunks(invalid, 8, async (input) => {
      check('superuser', input, await call(api, path, superuser.token, input), ['BAD_REQUEST']);
      check('anonymous', input, await call(api, path, undefined, input), ['BAD_REQUEST', 'UNAUTHORIZED']);
    });
    if ((await fingerprint(client, tables)) !== before) {
      // Find the culprit(s), one input at a time.
      for (const input of invalid) {
        const start = await fingerprint(client, tables);
        await call(api, path, superuser.token, input);
        if ((await fingerprint(client, tables)) !== start)
          failures.push(`superuser ${show(input)} failed validation but changed the database (seed ${SEED})`);
      }
      if (!failures.some((f) => f.includes('changed the database')))
        failures.push(`a batch of invalid inputs changed the database (seed ${SEED})`);
    }

    // Inputs that pass validation: success or a typed client error, never a 500.
    await inChunks(valid, 4, async (input) => {
      check('superuser', input, await call(api, path, superuser.token, input));
      check('anonymous', input, await call(api, path, undefined, input));
    });
    // sync.start answers once its run has started and the run goes on: let it finish here, or its
    // writes would land in the next procedure's before/after comparison.
    await api.deps.reconciler.idle(20_000);
    expect(failures).toEqual([]);
  });
});
