import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/services/bootstrap.ts';
import { Group, GroupMember, User } from '../../src/store/entities/index.ts';
import { backends, createTestDatabase, type TestDatabase } from '../support/database.ts';

describe.each(backends())('bootstrap on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t?.dispose());

  it('creates root and superusers on an empty database, and is idempotent', async () => {
    expect(await t.db.fork().count(User, {})).toBe(0);
    const first = await bootstrap(t.db.fork());
    const second = await bootstrap(t.db.fork());
    expect(second.rootId).toBe(first.rootId);
    const em = t.db.fork();
    const users = await em.find(User, {});
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ characterId: 0, clearanceLevel: 10, authorizedToLogin: true });
    const groups = await em.find(Group, {});
    expect(groups.map((g) => [g.name, g.kind, g.ownerId])).toEqual([['superusers', 'auto', first.rootId]]);
    expect(await em.count(GroupMember, { groupId: groups[0]!.id, userId: first.rootId })).toBe(1);
  });

  it('restores root to level 10 if someone lowered it in the database', async () => {
    const em = t.db.fork();
    await em.nativeUpdate(User, { characterId: 0 }, { clearanceLevel: 3 });
    await bootstrap(t.db.fork());
    expect((await t.db.fork().findOneOrFail(User, { characterId: 0 })).clearanceLevel).toBe(10);
  });

  it('re-running migrations on an existing database changes nothing', async () => {
    expect(await t.db.migrate()).toEqual(kind === 'mongodb' ? ['mongodb: indexes ensured'] : []);
    expect(await t.db.fork().count(User, {})).toBe(1);
  });
});
