import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { capturedLogger, commandNames, connectedTarget, fakeServer, nextConnect, target } from './helpers.ts';

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('TeamSpeak target: connection', () => {
  it('logs in, selects the virtual server with its nickname and checks permissions', async () => {
    const fake = await fakeServer({ virtualServers: 2 });
    const t = await connectedTarget(fake, { serverId: 2, nickname: 'Roster Bot' });
    expect(commandNames(fake)).toEqual(['version', 'login', 'use', 'permget']);
    expect(fake.commandLog()[1]?.line).toBe('login client_login_name=serveradmin client_login_password=***');
    expect(fake.onlineClients(2).map((c) => c.nickname)).toEqual(['Roster Bot']);
    expect(t.status()).toEqual({ connected: true, lastError: null, missingPermissions: [] });
    expect(t.callsIssued()).toBe(4);
  });

  it('names the permissions the query account lacks', async () => {
    const fake = await fakeServer();
    fake.denyPermissions(
      'i_group_member_add_power',
      'b_virtualserver_servergroup_create',
      'b_virtualserver_select',
    );
    const t = await connectedTarget(fake);
    expect(t.status().missingPermissions).toEqual([
      'b_virtualserver_servergroup_create',
      'i_group_member_add_power',
    ]);
  });

  it('reports that it cannot check permissions without b_client_permissionoverview_own', async () => {
    const fake = await fakeServer();
    fake.denyPermissions('b_client_permissionoverview_own');
    const t = await connectedTarget(fake);
    expect(t.status().missingPermissions).toEqual(['b_client_permissionoverview_own']);
  });

  it('does not throw at start for an unreachable server; status tells', async () => {
    const port = await closedPort();
    const fake = await fakeServer();
    const t = target(fake, { queryPort: port, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    await expect(t.start()).resolves.toBeUndefined();
    expect(t.status().connected).toBe(false);
    expect(t.status().lastError).toMatch(/ECONNREFUSED/);
    await expect(t.listGroups()).rejects.toMatchObject({
      name: 'TeamspeakConnectionError',
      kind: 'not-connected',
    });
  });

  it('reports a wrong password clearly, without the password', async () => {
    const fake = await fakeServer();
    const t = target(fake, { password: 'hunter2-wrong', reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    await t.start();
    expect(t.status().connected).toBe(false);
    expect(t.status().lastError).toMatch(
      /login as "serveradmin" failed: .*invalid loginname or password \(error 520\)/,
    );
    expect(t.status().lastError).not.toContain('hunter2');
  });

  it('reports a virtual server that does not exist', async () => {
    const fake = await fakeServer();
    const t = target(fake, { serverId: 9, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    await t.start();
    expect(t.status().lastError).toMatch(
      /selecting virtual server 9 failed: .*invalid serverID \(error 1024\)/,
    );
  });

  it('treats an unanswered command as a dead connection and reconnects', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake, { commandTimeoutMs: 150 });
    fake.stallOnNext('servergrouplist');
    const reconnected = nextConnect(t);
    await expect(t.listGroups()).rejects.toMatchObject({ name: 'TeamspeakConnectionError', kind: 'timeout' });
    await reconnected;
    expect(await t.listGroups()).toHaveLength(3);
    expect(fake.commandCount('login')).toBe(2);
  });

  it('logs missing permissions and failures, never a password', async () => {
    const fake = await fakeServer();
    fake.denyPermissions('i_client_private_textmessage_power');
    const { logger, lines } = capturedLogger();
    await connectedTarget(fake, {}, logger);
    await target(
      fake,
      { password: 'pw-wrong-123', reconnectMinMs: 60_000, reconnectMaxMs: 60_000 },
      logger,
    ).start();
    const log = lines.join('');
    expect(log).toMatch(/lacks permissions: i_client_private_textmessage_power \(message clients/);
    expect(log).toMatch(/"target":"ts-test"/);
    expect(log).toMatch(/TeamSpeak connection failed/);
    expect(log).not.toMatch(/secret|pw-wrong-123/);
  });

  it('reconnects after the connection is dropped', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    const disconnected = once(t.events, 'teamspeak:disconnected');
    const reconnected = nextConnect(t);
    expect(fake.dropConnections()).toBe(1);
    await disconnected;
    expect(t.status().connected).toBe(false);
    await reconnected;
    expect(t.status()).toMatchObject({ connected: true, lastError: null });
    expect(await t.listGroups()).toHaveLength(3);
  });

  it('survives a TeamSpeak restart (down for a while) without being restarted itself', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    const group = await t.createGroup('Before Restart');
    const reconnected = nextConnect(t);
    await fake.restart(150);
    await reconnected;
    expect(await t.listGroups()).toContainEqual(group);
    expect(fake.connectionCount()).toBe(1);
  });

  it('fails the commands in flight when the connection drops mid-batch, and converges after', async () => {
    const fake = await fakeServer();
    const ids = Array.from({ length: 4 }, (_, i) => fake.addDbClient({ nickname: `u${i}` }).cldbid);
    const g1 = fake.createServerGroup('G1');
    const g2 = fake.createServerGroup('G2');
    const t = await connectedTarget(fake);
    const adds = [
      { groupId: g1, accountIds: ids.slice(0, 2) },
      { groupId: g2, accountIds: ids.slice(2) },
    ];
    fake.dropOnNext('servergroupaddclient');
    const reconnected = nextConnect(t);
    const report = await t.apply({ runId: 'r1', adds, removes: [], nicknames: [], reason: 'test' });
    expect(report.added).toBe(0);
    expect(report.errors).toEqual([expect.stringMatching(/^stopped: TeamSpeak connection lost/)]);
    await reconnected;
    const again = await t.apply({ runId: 'r2', adds, removes: [], nicknames: [], reason: 'test' });
    expect(again).toMatchObject({ added: 4, errors: [] });
    expect(fake.groupMembers(g2)).toEqual(ids.slice(2));
  });

  it('keeps an idle connection alive', async () => {
    const fake = await fakeServer({ idleTimeoutMs: 300 });
    const t = await connectedTarget(fake, { keepAliveMs: 60 });
    let drops = 0;
    t.events.on('teamspeak:disconnected', () => (drops += 1));
    await new Promise((resolve) => setTimeout(resolve, 900)); // three idle timeouts
    expect(drops).toBe(0);
    expect(fake.commandCount('login')).toBe(1);
    expect(fake.commandCount('version')).toBeGreaterThanOrEqual(4);
    expect(t.status().connected).toBe(true);
  });

  it('stops cleanly, twice, and rejects later commands', async () => {
    const fake = await fakeServer();
    const t = await connectedTarget(fake);
    await t.stop();
    await t.stop();
    expect(t.status().connected).toBe(false);
    await expect(t.listGroups()).rejects.toThrow(/closed/);
    while (fake.connectionCount() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
