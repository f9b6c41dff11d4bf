/**
 * Benchmark: refresh the affiliations of 10,000 characters through the ESI client against the
 * fake ESI on loopback. Prints `{ characters, calls, seconds, rssMb }` as JSON.
 *
 *   npx node scripts/bench/esi-affiliation.ts [characters]
 */
import { createEsiClient } from '../../src/esi/client.ts';
import { startFakeEsi } from '../../test/fakes/esi/index.ts';

const count = Number(process.argv[2] ?? 10_000);
const fake = await startFakeEsi();
try {
  const ids = fake.seedGenerated({ characters: count });
  const esi = createEsiClient({ baseUrl: fake.url, userAgent: 'Roster-bench/1.0 (bench@localhost)' });
  const started = process.hrtime.bigint();
  const affiliations = await esi.getAffiliations(ids);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (affiliations.length !== count)
    throw new Error(`expected ${count} affiliations, got ${affiliations.length}`);
  const result = {
    characters: count,
    calls: esi.stats().calls,
    seconds: Math.round(seconds * 1000) / 1000,
    rssMb: Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await fake.close();
}
