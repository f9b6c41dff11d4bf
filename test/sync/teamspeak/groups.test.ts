import { describe, expect, it } from 'vitest';
import { commandNames, connectedTarget, fakeServer } from './helpers.ts';

describe('TeamSpeak target: server groups', () => {
  it('lists regular server groups only', async () => {
    const fake = await fakeServer();
    fake.createServerGroup('Template', { type: 0 });
    const t = await connectedTarget(fake);
    const groups = await t.listGroups();
    expect(groups.map((g) => g.name).sort()).toEqual(['Guest', 'Normal', 'Server Admin']);
    expect(groups.every((g) => /^\d+$/.test(g.id))).toBe(true);
  });

  it('creates, renames and deletes a group, names with spaces and pipes included', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    const created = await t.createGroup('Fleet | Command / Ops');
    expect(fake.serverGroups().find((g) => g.sgid === created.id)).toMatchObject({
      name: 'Fleet | Command / Ops',
      type: 1,
    });
    expect(await t.listGroups()).toContainEqual(created);

    await t.renameGroup(created.id, 'Renamed Group');
    expect(fake.serverGroups().find((g) => g.sgid === created.id)?.name).toBe('Renamed Group');

    fake.addGroupMembers(created.id, ['1']);
    await t.deleteGroup(created.id);
    expect(fake.serverGroups().some((g) => g.sgid === created.id)).toBe(false);
  });

  it('rejects names over 30 characters before sending anything', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    fake.clearCommandLog();
    await expect(t.createGroup('x'.repeat(31))).rejects.toThrow(/at most 30 characters/);
    await expect(t.renameGroup('6', 'y'.repeat(31))).rejects.toThrow(/at most 30 characters/);
    await expect(t.createGroup('x'.repeat(30))).resolves.toMatchObject({ name: 'x'.repeat(30) });
    expect(commandNames(fake)).toEqual(['servergroupadd']);
  });

  it('reports a duplicate name clearly (the engine adopts the existing group)', async () => {
    const fake = await fakeServer();
    fake.createServerGroup('Existing');
    const t = await connectedTarget(fake);
    await expect(t.createGroup('Existing')).rejects.toMatchObject({
      id: '1282',
      message: expect.stringMatching(/a server group named "Existing" already exists on ts-test/),
    });
  });

  it('surfaces the server refusing a command as a typed error', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    fake.denyPermissions('b_virtualserver_servergroup_create');
    await expect(t.createGroup('Nope')).rejects.toMatchObject({
      name: 'TeamspeakCommandError',
      id: '2568',
      command: 'servergroupadd',
    });
  });
});
