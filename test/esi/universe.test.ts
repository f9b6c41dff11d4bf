import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { ALICE, ALLIANCE, ALPHA, BOB, clientFor, DAVE, seedStandard } from './fixtures.ts';

let fake: FakeEsi;
let generated: number[];
beforeAll(async () => {
  fake = await startFakeEsi();
  seedStandard(fake);
  generated = fake.seedGenerated({ characters: 2_500, corporations: 30, alliances: 3 });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearLog();
  fake.clearFaults();
});

const post = (path: string, body: unknown) =>
  fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the fake ESI bulk routes, as ESI documents them', () => {
  it('refuses more than 1,000 ids for /universe/names/ and more than 500 names for /universe/ids/', async () => {
    expect((await post('/universe/names/', generated.slice(0, 1001))).status).toBe(400);
    expect((await post('/universe/names/', generated.slice(0, 1000))).status).toBe(200);
    expect((await post('/universe/ids/', Array(501).fill('Alice'))).status).toBe(400);
    expect((await post('/universe/ids/', [])).status).toBe(400);
    expect((await post('/universe/names/', [ALICE, ALICE])).status).toBe(400);
  });

  it('answers 404 for the whole /universe/names/ call when one id is unknown', async () => {
    const reply = await post('/universe/names/', [ALICE, 1]);
    expect(reply.status).toBe(404);
    expect(await reply.json()).toEqual({ error: 'Ensure all IDs are valid before resolving.' });
  });

  it('matches /universe/ids/ names exactly but without regard to case, leaving out empty categories', async () => {
    const reply = await post('/universe/ids/', ['alice', 'ALPHA CORP', 'Nobody At All']);
    expect(await reply.json()).toEqual({
      characters: [{ id: ALICE, name: 'Alice' }],
      corporations: [{ id: ALPHA, name: 'Alpha Corp' }],
    });
    expect(await (await post('/universe/ids/', ['Ali'])).json()).toEqual({});
  });
});

describe('resolveIds and getNames', () => {
  it('resolves 1,200 names in 3 calls of at most 500', async () => {
    const esi = clientFor(fake);
    const names = generated.slice(0, 1_200).map((_, i) => `Pilot ${i}`);
    const found = await esi.resolveIds([...names, 'Test Alliance Please Ignore']);
    expect(found.characters).toHaveLength(1_200);
    expect(found.alliances).toEqual([{ id: ALLIANCE, name: 'Test Alliance Please Ignore' }]);
    expect(fake.requests.map((r) => r.idCount).sort((a, b) => b! - a!)).toEqual([500, 500, 201]);
  });

  it('sends a name once whatever its case, and no call for nothing', async () => {
    const esi = clientFor(fake);
    await expect(esi.resolveIds([])).resolves.toEqual({ characters: [], corporations: [], alliances: [] });
    const found = await esi.resolveIds(['Bob', 'bob', ' BOB ']);
    expect(found.characters).toEqual([{ id: BOB, name: 'Bob' }]);
    expect(fake.requests.map((r) => r.idCount)).toEqual([1]);
  });

  it('names 2,500 characters in 3 calls of at most 1,000 ids', async () => {
    const esi = clientFor(fake);
    const names = await esi.getNames(generated);
    expect(names).toHaveLength(2_500);
    expect(names[0]).toEqual({ id: generated[0], name: 'Pilot 0', category: 'character' });
    expect(fake.requests.map((r) => r.idCount).sort((a, b) => b! - a!)).toEqual([1000, 1000, 500]);
  });

  it('splits a call ESI refused for an unknown id until the unknown ids stand alone, and leaves them out', async () => {
    const esi = clientFor(fake);
    const names = await esi.getNames([ALICE, BOB, 7, DAVE, ALPHA]);
    expect(names.map((n) => n.id)).toEqual([ALICE, BOB, DAVE, ALPHA]);
    expect(names.find((n) => n.id === ALPHA)?.category).toBe('corporation');
    const statuses = fake.requests.map((r) => `${r.idCount}:${r.status}`);
    expect(statuses[0]).toBe('5:404');
    expect(statuses).toContain('1:404');
    expect(fake.requests.filter((r) => r.status === 200).reduce((n, r) => n + r.idCount!, 0)).toBe(4);
  });
});
