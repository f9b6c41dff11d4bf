/** Shared set-up for the TeamSpeak target tests: a fake server with flood protection on, and a target. */
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import {
  startFakeTeamspeak,
  type FakeTeamspeak,
  type FakeTeamspeakOptions,
} from '../../fakes/teamspeak/index.ts';
import {
  createTeamspeakTarget,
  type TeamspeakTarget,
  type TeamspeakTargetOptions,
} from '../../../src/sync/teamspeak/index.ts';

/** A flood budget small enough to keep tests fast, still enforced by the fake (not whitelisted). */
export const testBudget = { commands: 20, windowMs: 500 } as const;

const started: { fakes: FakeTeamspeak[]; targets: TeamspeakTarget[] } = { fakes: [], targets: [] };

afterEach(async () => {
  await Promise.all(started.targets.splice(0).map((t) => t.stop()));
  await Promise.all(started.fakes.splice(0).map((f) => f.close()));
});

export async function fakeServer(options: FakeTeamspeakOptions = {}): Promise<FakeTeamspeak> {
  const fake = await startFakeTeamspeak({ flood: testBudget, ...options });
  started.fakes.push(fake);
  return fake;
}

export function target(
  fake: FakeTeamspeak,
  options: Partial<TeamspeakTargetOptions> = {},
  logger?: Logger,
): TeamspeakTarget {
  const t = createTeamspeakTarget(
    {
      name: 'ts-test',
      host: fake.host,
      queryPort: fake.port,
      serverId: 1,
      username: 'serveradmin',
      password: 'secret',
      nickname: 'Roster',
      commandsPerWindow: testBudget.commands,
      windowMs: testBudget.windowMs,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      ...options,
    },
    logger,
  );
  started.targets.push(t);
  return t;
}

/** A started, connected target. */
export async function connectedTarget(
  fake: FakeTeamspeak,
  options: Partial<TeamspeakTargetOptions> = {},
  logger?: Logger,
): Promise<TeamspeakTarget> {
  const t = target(fake, options, logger);
  await t.start();
  if (!t.status().connected) throw new Error(`target did not connect: ${t.status().lastError}`);
  return t;
}

export async function nextConnect(t: TeamspeakTarget): Promise<void> {
  await once(t.events, 'teamspeak:connected');
}

/** Command names the fake received since the last clearCommandLog(), in order. */
export function commandNames(fake: FakeTeamspeak): string[] {
  return fake.commandLog().map((e) => e.name);
}

/** A debug-level pino logger whose lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}
