import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupMember, User } from '../../src/store/entities/index.ts';
import { openDatabase, type Database } from '../../src/store/orm.ts';
import { plainRows } from '../../src/store/plain-rows.ts';
import { inTransaction } from '../../src/store/transaction.ts';
import { backends, createTestDatabase } from '../support/database.ts';
import { addGroup, addUser } from '../support/rows.ts';

const kinds = [...backends(), 'embedded'] as const;

describe.each(kinds)('plainRows on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void>;
  let userId: string;
  const since = new Date('2026-01-02T03:04:05.000Z');
  beforeAll(async () => {
    if (kind === 'embedded') {
      db = await openDatabase({ url: '', dataDir: ':memory:' });
      await db.migrate();
      dispose = () => db.close();
    } else {
      const t = await createTestDatabase(kind);
      db = t.db;
      dispose = () => t.dispose();
    }
    const em = db.fork();
    const user = addUser(em, 'Plain Pilot', { corporationId: 98_000_001, corporationSince: since });
    addUser(em, 'Other Pilot');
    addGroup(em, 'Plain Group', [user.id]);
    await em.flush();
    userId = user.id;
  });
  afterAll(async () => dispose?.());

  it('reads only the fields asked for, typed as the entity types them, and keeps nothing in the fork', async () => {
    const em = db.fork();
    const rows = await plainRows(em, User, { characterName: 'Plain Pilot' }, [
      'id',
      'characterId',
      'corporationId',
      'corporationSince',
      'authorizedToLogin',
    ]);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    // A bigint column comes back as a number, as an entity's property would.
    expect(row).toEqual({
      id: userId,
      characterId: expect.any(Number),
      corporationId: 98_000_001,
      corporationSince: since,
      authorizedToLogin: null,
    });
    expect(Object.keys(row!).sort()).toEqual(
      ['authorizedToLogin', 'characterId', 'corporationId', 'corporationSince', 'id'].sort(),
    );
    const members = await plainRows(em, GroupMember, { userId }, ['groupId', 'userId']);
    expect(members).toEqual([{ groupId: expect.any(String), userId }]);
    expect(em.getUnitOfWork().getIdentityMap().keys()).toEqual([]);
  });

  it("reads inside the fork's transaction: rows written there and not yet committed", async () => {
    await inTransaction(db.fork(), async (tx) => {
      addUser(tx, 'Uncommitted Pilot');
      await tx.flush();
      const rows = await plainRows(tx, User, { characterName: 'Uncommitted Pilot' }, ['characterName']);
      expect(rows).toEqual([{ characterName: 'Uncommitted Pilot' }]);
    });
  });
});
