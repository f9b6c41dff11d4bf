import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

describe('group router over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      config: { teamspeak: { targets: [{ name: 'main', host: '127.0.0.1', username: 'q', password: 'p' }] } },
    });
  });
  afterAll(async () => api?.stop());

  it('refuses anonymous and bad tokens with UNAUTHORIZED', async () => {
    await expect(api.client().group.list.query({})).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await expect(api.client('rst_nope').group.list.query({})).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
      message: 'unknown token',
    });
  });

  it('lets a level-1 user create a group they own, and maps it only for admins', async () => {
    const alice = await api.user({ clearanceLevel: 1 });
    const created = await api
      .client(alice.token)
      .group.create.mutate({ name: 'Fleet Command', description: 'FCs' });
    expect(created).toMatchObject({
      name: 'Fleet Command',
      kind: 'manual',
      ownerId: alice.id,
      memberCount: 0,
    });
    await expect(
      api.client(alice.token).group.map.mutate({ id: created.id, platform: 'teamspeak', target: 'main' }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const admin = await api.user({ clearanceLevel: 9 });
    const mapped = await api
      .client(admin.token)
      .group.map.mutate({ id: created.id, platform: 'teamspeak', target: 'main', displayName: 'FC' });
    expect(mapped.mappings).toEqual([
      { platform: 'teamspeak', target: 'main', platformGroupId: null, displayName: 'FC', mode: 'managed' },
    ]);
    await expect(
      api.client(admin.token).group.map.mutate({ id: created.id, platform: 'teamspeak', target: 'nope' }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });

  it('rejects duplicate and reserved names with clear errors, and changes nothing', async () => {
    const u = await api.user({ clearanceLevel: 1 });
    const c = api.client(u.token);
    await c.group.create.mutate({ name: 'Logistics' });
    await expect(c.group.create.mutate({ name: 'Logistics' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
    const error = await c.group.create.mutate({ name: 'corp:ABC' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).message).toMatch(/cannot contain ":"/);
    const names = (await c.group.list.query({ kind: 'manual' })).items.map((g) => g.name);
    expect(names.filter((n) => n === 'Logistics')).toHaveLength(1);
    expect(names).not.toContain('corp:ABC');
  });

  it('lets the owner add members, asks for a sync, and refuses editing autogroups', async () => {
    const owner = await api.user({ clearanceLevel: 1 });
    const member = await api.user();
    const c = api.client(owner.token);
    const g = await c.group.create.mutate({ name: 'Scouts' });
    api.jobs.syncRequests.length = 0;
    expect(await c.group.addMembers.mutate({ id: g.id, userIds: [member.id, member.id] })).toEqual({
      added: 1,
    });
    expect(api.jobs.syncRequests.map((r) => r.platform).sort()).toEqual(['discord', 'teamspeak']);
    // Scoped to the member: the next runs read and fix that account only.
    for (const r of api.jobs.syncRequests)
      expect(r.scope).toEqual({ groups: [], users: [member.id], accounts: [] });
    await expect(c.group.addMembers.mutate({ id: g.id, userIds: ['nobody'] })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    const stranger = await api.user({ clearanceLevel: 1 });
    await expect(
      api.client(stranger.token).group.addMembers.mutate({ id: g.id, userIds: [stranger.id] }),
    ).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    const root = await api.user({ clearanceLevel: 10 });
    const superusers = (await api.client(root.token).group.list.query({ kind: 'auto' })).items.find(
      (x) => x.name === 'superusers',
    )!;
    await expect(
      api.client(root.token).group.addMembers.mutate({ id: superusers.id, userIds: [member.id] }),
    ).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });
});
