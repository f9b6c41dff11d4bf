import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry, Group } from '../../src/store/entities/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { MemoryTarget } from '../support/memory-target.ts';
import { addGroup, addMapping } from '../support/rows.ts';

/**
 * An autogroup whose source is gone leaves its platform group in place; an operator may ask Roster
 * to delete it (sync.deleteRetiredGroup), and only such a group.
 */
describe('platform groups of removed autogroups', () => {
  let api: TestApi;
  let token: string;
  const guild = new MemoryTarget('discord', 'guild');

  beforeAll(async () => {
    guild.addGroup('70', 'Pact');
    guild.addGroup('71', 'Hand made');
    guild.addGroup('72', 'Mapped');
    api = await startTestApi({ targets: [guild] });
    token = (await api.user({ clearanceLevel: 10 })).token;
    const em = api.t.db.fork();
    const mapped = addGroup(em, 'Mapped Group');
    addMapping(em, mapped.id, 'discord', 'guild', { platformGroupId: '72' });
    await em.flush();
  });
  afterAll(async () => api?.stop());

  const remove = (platformGroupId: string) =>
    api
      .client(token)
      .sync.deleteRetiredGroup.mutate({ platform: 'discord', target: 'guild', platformGroupId });

  it('leaves the group in place when the coalition goes, says how to delete it, and deletes it when asked', async () => {
    const c = api.client(token);
    const coalition = await c.coalition.create.mutate({ name: 'Retired Pact', ticker: 'RPACT' });
    const autogroup = await api.t.db.fork().findOneOrFail(Group, { name: 'coalition:RPACT' });
    // Mapped onto the guild's existing role 70 (as an adopted or imported mapping is).
    const em = api.t.db.fork();
    addMapping(em, autogroup.id, 'discord', 'guild', { platformGroupId: '70' });
    await em.flush();
    await c.coalition.delete.mutate({ id: coalition.id });

    const entry = await api.t.db
      .fork()
      .findOneOrFail(AuditEntry, { action: 'autogroup.delete', subject: `group:${autogroup.id}` });
    expect(JSON.stringify(entry.after)).toContain('rosterctl sync deleteRetiredGroup');
    expect(guild.groups.has('70')).toBe(true);

    await expect(remove('70')).resolves.toEqual({
      deleted: true,
      platformGroupId: '70',
      autogroup: 'coalition:RPACT',
    });
    expect(guild.groups.has('70')).toBe(false);
    expect(guild.callsOf('deleteGroup').map((call) => call.args)).toEqual([['70']]);
    expect(await api.t.db.fork().count(AuditEntry, { action: 'platform.deleteGroup' })).toBe(1);
  });

  it('refuses a group Roster never managed and one a mapping manages now, and deletes nothing', async () => {
    await expect(remove('71')).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(remove('72')).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    expect(guild.groups.has('71') && guild.groups.has('72')).toBe(true);
  });

  it('is for superusers only', async () => {
    const admin = await api.user({ clearanceLevel: 9 });
    await expect(
      api
        .client(admin.token)
        .sync.deleteRetiredGroup.mutate({ platform: 'discord', target: 'guild', platformGroupId: '71' }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});
