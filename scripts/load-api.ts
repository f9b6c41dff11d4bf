/**
 * Load check of the control plane: the real tRPC server over real HTTP on a temporary PostgreSQL
 * database (the test harness's; ROSTER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1),
 * with concurrent clients on a read (`group.list`) and then a write (`group.addMembers` and
 * `group.removeMembers`, alternating). Prints one JSON object per procedure:
 * `{ procedure, requests, rps, p50Ms, p99Ms, errors }`; exits 1 if any request failed.
 *
 *   npx node scripts/load-api.ts [--clients 16] [--seconds 5] [--requests 0 (no limit)]
 *                                [--users 300] [--groups 30] [--page 50]
 */
import { parseArgs } from 'node:util';
import { addGroup, addUser } from '../test/support/rows.ts';
import { startTestApi, type TestApi } from '../test/support/api.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '0' },
    users: { type: 'string', default: '300' },
    groups: { type: 'string', default: '30' },
    page: { type: 'string', default: '50' },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
/** Per phase, over all clients; 0: bounded by time only. */
const maxRequests = Number(values.requests);
const userCount = Number(values.users);
const groupCount = Number(values.groups);
const page = Number(values.page);

interface Sample {
  readonly procedure: string;
  readonly ms: number;
  readonly error: string | null;
}

/** Runs `clients` loops until the time is up (or the request budget spent); each loop calls `step(client, i)`. */
async function phase(
  step: (client: number, iteration: number) => Promise<Sample>,
): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let issued = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() < deadline && (maxRequests === 0 || issued < maxRequests); i++) {
        issued++;
        samples.push(await step(client, i));
      }
    }),
  );
  return { samples, seconds: (performance.now() - started) / 1000 };
}

async function timed(procedure: string, call: () => Promise<unknown>): Promise<Sample> {
  const started = performance.now();
  try {
    await call();
    return { procedure, ms: performance.now() - started, error: null };
  } catch (error) {
    return {
      procedure,
      ms: performance.now() - started,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

function percentile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function report(procedure: string, samples: readonly Sample[], phaseSeconds: number) {
  const mine = samples.filter((s) => s.procedure === procedure);
  const latencies = mine.map((s) => s.ms).sort((a, b) => a - b);
  const errors = mine.filter((s) => s.error !== null);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    procedure,
    requests: mine.length,
    rps: round(mine.length / phaseSeconds),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    errors: errors.length,
    ...(errors.length ? { firstError: errors[0]!.error } : {}),
  };
}

async function seed(api: TestApi) {
  const admin = await api.user({ clearanceLevel: 9 });
  const em = api.t.db.fork();
  const users = Array.from({ length: Math.max(userCount, clients) }, (_, i) =>
    addUser(em, `Load Pilot ${i}`),
  );
  for (let g = 0; g < groupCount; g++)
    addGroup(
      em,
      `Load Group ${g}`,
      users.filter((_, i) => i % groupCount === g).map((u) => u.id),
      { ownerId: admin.id },
    );
  const target = addGroup(em, 'Load Target', [], { ownerId: admin.id });
  await em.flush();
  return { admin, target: target.id, users: users.map((u) => u.id) };
}

const api = await startTestApi();
try {
  const { admin, target, users } = await seed(api);
  // One tRPC client per simulated client, as separate tools would have.
  const trpc = Array.from({ length: clients }, () => api.client(admin.token));
  process.stderr.write(
    `load-api: ${clients} clients, ${seconds} s per phase, ${users.length} users, ${groupCount + 1} groups\n`,
  );

  const read = await phase((c) => timed('group.list', () => trpc[c]!.group.list.query({ limit: page })));
  // Each client adds and removes its own user, so the calls contend on the group, not on one row.
  const write = await phase((c, i) =>
    i % 2 === 0
      ? timed('group.addMembers', () =>
          trpc[c]!.group.addMembers.mutate({ id: target, userIds: [users[c]!] }),
        )
      : timed('group.removeMembers', () =>
          trpc[c]!.group.removeMembers.mutate({ id: target, userIds: [users[c]!] }),
        ),
  );

  const results = [
    report('group.list', read.samples, read.seconds),
    report('group.addMembers', write.samples, write.seconds),
    report('group.removeMembers', write.samples, write.seconds),
  ];
  for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = results.some((r) => r.errors > 0 || r.requests === 0) ? 1 : 0;
} finally {
  await api.stop();
}
