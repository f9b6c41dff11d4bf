import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { rebuildAutogroups } from '../../src/services/autogroups.ts';
import { AuditEntry, GroupMapping, GroupMember } from '../../src/store/entities/index.ts';
import { createReconciler } from '../../src/sync/engine.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import {
  addCorporation,
  addGroup,
  addMapping,
  addMember,
  addTeamspeakLink,
  addUser,
} from '../support/rows.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovals: 1_000_000, maxRemovalShare: 1, removalGraceMinutes: 0 } as const;

/** A membership with an end date: on the platform until then; removed at the rebuild once passed, and from the platform at the next run. */
describe('memberships that expire', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.dispose());

  it('are removed by the rebuild (audited) once their end date passes, and then from the platform', async () => {
    const em = t.db.fork();
    const corporation = addCorporation(em, 98_172_001, { authorizedToLogin: true });
    const trial = addUser(em, 'Trial Pilot', { corporationId: corporation.corporationId });
    const regular = addUser(em, 'Regular Pilot', { corporationId: corporation.corporationId });
    addTeamspeakLink(em, trial.id, 'exp', '21');
    addTeamspeakLink(em, regular.id, 'exp', '22');
    const group = addGroup(em, 'Event fleet', [regular.id]);
    const until = new Date(Date.now() + 3_600_000);
    const membership = addMember(em, group.id, trial.id, { expiresAt: until });
    const mapping = addMapping(em, group.id, 'teamspeak', 'exp');
    await em.flush();
    const memory = new MemoryTarget('teamspeak', 'exp');
    const reconciler = createReconciler(t.db, [memory], permissive, logger);

    expect((await reconciler.run('teamspeak', 'exp', { trigger: 'test' })).status).toBe('applied');
    const platformGroupId = (await t.db.fork().findOneOrFail(GroupMapping, { id: mapping.id }))
      .platformGroupId!;
    expect(memory.membersOf(platformGroupId)).toEqual(['21', '22']);
    // Before its end date the rebuild keeps it.
    expect((await rebuildAutogroups(t.db.fork())).expired).toBe(0);

    const past = t.db.fork();
    await past.nativeUpdate(GroupMember, { id: membership.id }, { expiresAt: new Date(Date.now() - 1000) });
    expect((await rebuildAutogroups(t.db.fork())).expired).toBe(1);
    const check = t.db.fork();
    expect((await check.find(GroupMember, { groupId: group.id })).map((m) => m.userId)).toEqual([regular.id]);
    const [entry] = await check.find(AuditEntry, {
      action: 'membership.expire',
      subject: `group:${group.id}`,
    });
    expect(entry?.before).toMatchObject({ members: [{ userId: trial.id }] });

    const next = await reconciler.run('teamspeak', 'exp', { trigger: 'autogroups' });
    expect(next.plan?.counts).toMatchObject({ adds: 0, removes: 1 });
    expect(memory.membersOf(platformGroupId)).toEqual(['22']);
  });
});
