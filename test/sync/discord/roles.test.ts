import { afterEach, describe, expect, it } from 'vitest';
import { Permission } from '../../fakes/discord/index.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Discord target: roles', () => {
  it('creates roles that are not mentionable, not hoisted and without permissions, with an audit reason', async () => {
    h = await startHarness();
    const role = await h.target.createGroup('Pilots');
    const stored = h.fake.guild.roles.get(role.id);
    expect(stored).toMatchObject({
      name: 'Pilots',
      mentionable: false,
      hoist: false,
      permissions: '0',
      managed: false,
    });
    const post = h.fake.requests.find((r) => r.route === 'POST /guilds/:guild/roles');
    expect(post?.body).toMatchObject({ name: 'Pilots', permissions: '0', mentionable: false, hoist: false });
    expect(decodeURIComponent(post?.headers['x-audit-log-reason'] ?? '')).toContain('Roster (test-guild)');
  });

  it('uses the configured role permissions', async () => {
    const perms = Permission.ManageRoles | Permission.ManageNicknames;
    h = await startHarness({ target: { rolePermissions: String(Permission.ManageNicknames) } });
    expect(h.fake.guild.botPermissions()).toBe(perms);
    const role = await h.target.createGroup('Nickers');
    expect(h.fake.guild.roles.get(role.id)?.permissions).toBe(String(Permission.ManageNicknames));
  });

  it('lists every role, marking @everyone, managed roles and roles above the bot as not adoptable', async () => {
    h = await startHarness();
    const g = h.fake.guild;
    const pilots = g.addRole({ name: 'Pilots' });
    const booster = g.addRole({ name: 'Server Booster', managed: true });
    const directors = g.addRole({ name: 'Directors', position: g.botTopPosition() + 1 });
    const roles = await h.target.listGroups();
    const byId = new Map(roles.map((r) => [r.id, r]));
    expect(roles).toHaveLength(5);
    expect(byId.get(g.id)).toMatchObject({ name: '@everyone', adoptable: false });
    expect(byId.get(g.botRoleId)).toMatchObject({ managed: true, adoptable: false });
    expect(byId.get(booster.id)).toMatchObject({ managed: true, adoptable: false });
    expect(byId.get(directors.id)?.adoptable).toBe(false);
    expect(byId.get(pilots.id)).toMatchObject({ name: 'Pilots', adoptable: true });
  });

  it('renames and deletes a role, and surfaces Discord refusals as errors', async () => {
    h = await startHarness();
    const role = await h.target.createGroup('Old name');
    await h.target.renameGroup(role.id, 'New name');
    expect(h.fake.guild.roles.get(role.id)?.name).toBe('New name');
    await h.target.deleteGroup(role.id);
    expect(h.fake.guild.roles.has(role.id)).toBe(false);
    const above = h.fake.guild.addRole({ name: 'Directors', position: h.fake.guild.botTopPosition() + 1 });
    await expect(h.target.renameGroup(above.id, 'x')).rejects.toMatchObject({ code: 50013 });
  });

  it('does not create a duplicate when the answer to a role creation is lost', async () => {
    h = await startHarness();
    h.fake.faults.dropNext(1, 'after');
    const role = await h.target.createGroup('Logistics');
    const named = [...h.fake.guild.roles.values()].filter((r) => r.name === 'Logistics');
    expect(named.map((r) => r.id)).toEqual([role.id]);
    expect(h.fake.count('POST /guilds/:guild/roles')).toBe(1);
  });

  it('retries a role creation that failed before reaching Discord', async () => {
    h = await startHarness();
    h.fake.faults.failNext(2, 503);
    const role = await h.target.createGroup('Scouts');
    expect([...h.fake.guild.roles.values()].filter((r) => r.name === 'Scouts').map((r) => r.id)).toEqual([
      role.id,
    ]);
    expect(h.fake.count('POST /guilds/:guild/roles')).toBe(2);
  });
});
