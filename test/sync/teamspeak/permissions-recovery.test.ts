/**
 * A denied ServerQuery permission, as an operator lives it: the run's error names it (not its
 * number), `/readyz` lists it, and once granted the periodic check clears it everywhere (status,
 * readiness, `roster_platform_missing_permissions`) without a restart.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { readiness } from '../../../src/api/observability.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { sample } from '../../ops/helpers.ts';
import { connectedTarget, fakeServer } from './helpers.ts';

describe('TeamSpeak target: a denied permission and its recovery', () => {
  it('names the permission in errors, lists it in /readyz and metrics, and clears it once granted', async () => {
    const fake = await fakeServer();
    fake.denyPermissions('b_virtualserver_servergroup_create');
    const t = await connectedTarget(fake, { permissionCheckMs: 100 });
    const sources = {
      db: { orm: { checkConnection: async () => ({ ok: true as const }) } } as never,
      jobs: { ready: async () => true },
      targets: [t],
      version: 'test',
      startedAt: new Date(),
      metrics: { render: async () => '', contentType: 'text/plain' },
    };
    const metrics = createMetrics({
      reconciler: new EventEmitter() as never,
      targets: [t],
      jobs: { list: async () => [] },
      version: 'test',
      procedures: new Set(),
      processMetrics: false,
    });
    const missing = async () =>
      sample(await metrics.render(), 'roster_platform_missing_permissions', {
        platform: 'teamspeak',
        target: t.name,
      });

    await expect(t.createGroup('Nope')).rejects.toThrow(
      'servergroupadd: insufficient client permissions: the query account lacks b_virtualserver_servergroup_create (create server groups (servergroupadd)) (error 2568)',
    );
    expect(t.status().missingPermissions).toEqual(['b_virtualserver_servergroup_create']);
    expect(await readiness(sources)).toMatchObject({
      ready: false,
      notReady: [`teamspeak/${t.name}: missing permissions: b_virtualserver_servergroup_create`],
    });
    expect(await missing()).toBe(1);

    fake.grantAllPermissions();
    await vi.waitFor(() => expect(t.status().missingPermissions).toEqual([]), { timeout: 5000 });
    expect(await readiness(sources)).toMatchObject({ ready: true, notReady: [] });
    expect(await missing()).toBe(0);
    expect((await t.createGroup('Now')).name).toBe('Now');

    // Revoked while running: the refusal names it, and the check (the refusal starts one) finds it.
    fake.denyPermissions('i_group_member_add_power');
    await expect(
      t.apply({
        runId: 'r',
        adds: [{ groupId: '1', accountIds: ['1'] }],
        removes: [],
        nicknames: [],
        reason: 'x',
      }),
    ).resolves.toMatchObject({
      errors: [expect.stringContaining('i_group_member_add_power')],
    });
    await vi.waitFor(() => expect(t.status().missingPermissions).toEqual(['i_group_member_add_power']), {
      timeout: 5000,
    });
    metrics.close();
  });
});
