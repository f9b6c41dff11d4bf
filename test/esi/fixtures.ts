/** Shared seed and client factory for the ESI tests. */
import { createServer } from 'node:net';
import pino, { type Logger } from 'pino';
import { createEsiClient, type EsiClientOptions } from '../../src/esi/client.ts';
import type { FakeEsi } from '../fakes/esi/index.ts';

export const ALLIANCE = 99_000_001;
export const ALPHA = 98_000_001;
export const BETA = 98_000_002;
export const GAMMA = 98_000_003; // no alliance
export const ALICE = 90_000_001; // CEO of Alpha
export const BOB = 90_000_002;
export const CAROL = 90_000_003; // CEO of Beta
export const DAVE = 90_000_004; // CEO of Gamma

export function seedStandard(fake: FakeEsi): void {
  fake.seed({
    alliances: [
      { id: ALLIANCE, name: 'Test Alliance Please Ignore', ticker: 'TEST', executorCorporationId: ALPHA },
    ],
    corporations: [
      { id: ALPHA, name: 'Alpha Corp', ticker: 'ALPHA', ceoId: ALICE, allianceId: ALLIANCE },
      { id: BETA, name: 'Beta Corp', ticker: 'BETA', ceoId: CAROL, allianceId: ALLIANCE },
      { id: GAMMA, name: 'Gamma Corp', ticker: 'GAMMA', ceoId: DAVE },
    ],
    characters: [
      { id: ALICE, name: 'Alice', corporationId: ALPHA },
      { id: BOB, name: 'Bob', corporationId: ALPHA },
      { id: CAROL, name: 'Carol', corporationId: BETA },
      { id: DAVE, name: 'Dave', corporationId: GAMMA },
    ],
  });
}

/** A client for the fake with fast backoff, so retries cost milliseconds. */
export function clientFor(fake: FakeEsi, options: Partial<EsiClientOptions> = {}, logger?: Logger) {
  return createEsiClient(
    {
      baseUrl: fake.url,
      userAgent: 'Roster-tests/1.0 (ops@example.org)',
      backoffMinMs: 1,
      backoffMaxMs: 5,
      timeoutMs: 2_000,
      ...options,
    },
    logger,
  );
}

/** A pino logger that keeps its lines in memory. */
export function memoryLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  text: () => string;
} {
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

/** A loopback URL where nothing listens (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
