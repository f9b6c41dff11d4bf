import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, logout } from '../../src/services/auth/sessions.ts';
import { issueToken, withdrawCredential } from '../../src/services/auth/tokens.ts';
import { startGuestInvitation } from '../../src/services/auth/invitations.ts';
import { inviteGuest, removeGuest } from '../../src/services/auth/guests.ts';
import { loginSettingsOf } from '../../src/services/auth/sso-login.ts';
import { createGroup } from '../../src/services/groups.ts';
import { createCoalition, deleteCoalition, updateCoalition } from '../../src/services/coalitions.ts';
import { updateCorporation } from '../../src/services/corporations.ts';
import { createRuleGroup } from '../../src/services/rule-groups.ts';
import { callerOf } from '../../src/services/group-access.ts';
import { joinGroup } from '../../src/services/group-membership.ts';
import { decideRequest, requestToJoin } from '../../src/services/group-requests.ts';
import { User } from '../../src/store/entities/index.ts';
import { startChallenge } from '../../src/services/auth/link-challenges.ts';
import { directoryEsiOf } from '../../src/directory/index.ts';
import { startFakeEsi, type FakeEsi } from '../fakes/esi/index.ts';
import { clientFor, GAMMA, seedStandard } from '../esi/fixtures.ts';
import { addCorporation } from '../support/rows.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * A change and its audit entry are written together: with the audit table refusing every insert
 * (a trigger standing for a crash, a full disk or a lost connection right between the two
 * writes), each use case fails and leaves the directory as it was. Then, with the audit table
 * back, the same call writes both.
 */
describe('a change and its audit entry, in one transaction', () => {
  let api: TestApi;
  let esi: FakeEsi;
  let sql: pg.Client;
  let admin: { id: string; token: string };
  const count = async (query: string, values: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${query}`, values)).rows[0]!.n);
  const auditRefuses = (on: boolean) =>
    sql.query(`ALTER TABLE audit_log ${on ? 'ENABLE' : 'DISABLE'} TRIGGER refuse_audit`);

  beforeAll(async () => {
    esi = await startFakeEsi();
    seedStandard(esi);
    api = await startTestApi({ directoryEsi: directoryEsiOf(clientFor(esi)) });
    sql = new pg.Client({ connectionString: api.t.url });
    await sql.connect();
    await sql.query(`
      CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the audit log is unavailable'; END $$;
      CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();
      ALTER TABLE audit_log DISABLE TRIGGER refuse_audit;`);
    admin = await api.user({ clearanceLevel: 10 });
  });
  afterAll(async () => {
    await sql?.end();
    await api?.stop();
    await esi?.close();
  });

  /**
   * Runs `call` with the audit refusing: it must fail (as `refusal`: over tRPC, an internal error)
   * and `state` must not move; then without.
   */
  async function together(
    call: () => Promise<unknown>,
    state: () => Promise<unknown>,
    refusal: object = { data: { code: 'INTERNAL_SERVER_ERROR' } },
  ) {
    const before = await state();
    await auditRefuses(true);
    try {
      await expect(call()).rejects.toMatchObject(refusal);
    } finally {
      await auditRefuses(false);
    }
    expect(await state()).toEqual(before);
    const audits = await count('audit_log');
    await call();
    expect(await state()).not.toEqual(before);
    expect(await count('audit_log')).toBeGreaterThan(audits);
  }

  it('group.create', async () => {
    const client = api.client(admin.token);
    await together(
      () => client.group.create.mutate({ name: 'Atomic Wing' }),
      () => count(`groups WHERE name = $1`, ['Atomic Wing']),
    );
  });

  it('group.addMembers and group.delete', async () => {
    const client = api.client(admin.token);
    const group = await client.group.create.mutate({ name: 'Atomic Squad' });
    const pilot = await api.user();
    await together(
      () => client.group.addMembers.mutate({ id: group.id, userIds: [pilot.id] }),
      () => count(`group_members WHERE group_id = $1`, [group.id]),
    );
    await together(
      () => client.group.delete.mutate({ id: group.id }),
      () => count(`groups WHERE id = $1`, [group.id]),
    );
  });

  it('the createGroup use case, called without the control plane', async () => {
    const app = api.useCase(admin.id);
    const affiliation = { userId: admin.id, corporationId: null, allianceId: null, coalitionIds: [] };
    const actor = { userId: admin.id, characterId: 1, clearanceLevel: 10, affiliation };
    const input = { name: 'Direct Wing', description: '', authorizedToLogin: null };
    await auditRefuses(true);
    try {
      await expect(createGroup(app, actor, input)).rejects.toThrow(/the audit log is unavailable/);
    } finally {
      await auditRefuses(false);
    }
    expect(await count(`groups WHERE name = $1`, ['Direct Wing'])).toBe(0);
    const group = await createGroup(app, actor, input);
    expect(await count(`groups WHERE name = $1`, ['Direct Wing'])).toBe(1);
    expect(
      await count(`audit_log WHERE action = 'group.create' AND subject = $1 AND actor_id = $2`, [
        `group:${group.id}`,
        admin.id,
      ]),
    ).toBe(1);
  });

  it('the membership use cases, called without a front: the change, its audit entry, then the sync', async () => {
    const client = api.client(admin.token);
    const open = await client.group.create.mutate({ name: 'Atomic Open Wing' });
    await client.membership.configure.mutate({ id: open.id, joinPolicy: 'open' });
    const pilot = await api.user();
    const app = api.useCase(pilot.id);
    const caller = await callerOf(api.t.db.fork(), await api.t.db.fork().findOneOrFail(User, pilot.id));
    const triggers = () => api.jobs.syncRequests.map((r) => `${r.platform}:${r.trigger}`);
    api.jobs.syncRequests.length = 0;
    await auditRefuses(true);
    try {
      await expect(joinGroup(app, caller, open.id, 'portal')).rejects.toThrow(/the audit log is unavailable/);
    } finally {
      await auditRefuses(false);
    }
    // Nothing committed, so nothing is told to sync.
    expect(await count(`group_members WHERE group_id = $1`, [open.id])).toBe(0);
    expect(triggers()).toEqual([]);
    await joinGroup(app, caller, open.id, 'portal');
    expect(await count(`group_members WHERE group_id = $1`, [open.id])).toBe(1);
    expect(
      await count(`audit_log WHERE action = 'group.join' AND subject = $1 AND actor_id = $2`, [
        `group:${open.id}`,
        pilot.id,
      ]),
    ).toBe(1);
    expect(triggers().sort()).toEqual(['discord:portal.join', 'teamspeak:portal.join']);

    // A denial changes no membership: no sync; an approval does, under the front's name.
    const asked = await client.group.create.mutate({ name: 'Atomic Request Wing' });
    await client.membership.configure.mutate({ id: asked.id, joinPolicy: 'request' });
    const leader = await callerOf(api.t.db.fork(), await api.t.db.fork().findOneOrFail(User, admin.id));
    const denied = await requestToJoin(app, caller, asked.id, 'first try');
    api.jobs.syncRequests.length = 0;
    await decideRequest(api.useCase(admin.id), leader, denied.id, { approve: false, reason: 'no' }, 'portal');
    expect(triggers()).toEqual([]);
    const approved = await requestToJoin(app, caller, asked.id, 'second try');
    await decideRequest(api.useCase(admin.id), leader, approved.id, { approve: true }, 'membership');
    expect(triggers().sort()).toEqual(['discord:membership.decide', 'teamspeak:membership.decide']);
  });

  it("the portal's logout, token creation and token revocation (use cases called directly)", async () => {
    const pilot = await api.user();
    const app = api.useCase(pilot.id);
    const refused = { message: expect.stringContaining('the audit log is unavailable') };
    const fork = api.t.db.fork();
    const session = createSession(fork, { userId: pilot.id, ttlSeconds: 3600 });
    await fork.flush();
    await together(
      () => logout(app, { userId: pilot.id, secret: session.secret }),
      () => count(`browser_sessions WHERE id = $1 AND revoked_at IS NULL`, [session.id]),
      refused,
    );
    const input = { userId: pilot.id, kind: 'user' as const, comment: 'portal', ttlSeconds: 3600 };
    await together(
      () => issueToken(app, input),
      () => count(`api_tokens WHERE comment = $1`, ['portal']),
      refused,
    );
    const token = await issueToken(app, { ...input, comment: 'to revoke' });
    await together(
      () => withdrawCredential(app, { userId: pilot.id, clearanceLevel: 0 }, token.id),
      () => count(`api_tokens WHERE id = $1 AND revoked_at IS NULL`, [token.id]),
      refused,
    );
  });

  it('coalition.create', async () => {
    const client = api.client(admin.token);
    await together(
      () => client.coalition.create.mutate({ name: 'Atomic Coalition', ticker: 'ATOM' }),
      () => count(`coalitions WHERE ticker = $1`, ['ATOM']),
    );
  });

  it('the coalition use cases, called directly: the directory changed only after a committed change', async () => {
    const app = api.useCase(admin.id);
    const rebuilds = () => api.jobs.rebuildRequests.map((r) => r.trigger);
    const input = {
      name: 'Direct Coalition',
      ticker: 'DRCT',
      description: '',
      alliances: [],
      corporations: [],
      authorizedToLogin: null,
      mandatoryEsiScopes: [],
    };
    api.jobs.rebuildRequests.length = 0;
    await auditRefuses(true);
    try {
      await expect(createCoalition(app, input)).rejects.toThrow(/the audit log is unavailable/);
    } finally {
      await auditRefuses(false);
    }
    expect(rebuilds()).toEqual([]);
    const created = await createCoalition(app, input);
    expect(rebuilds()).toEqual(['coalition.create']);
    // The same description again changes nothing: no audit entry, no rebuild.
    expect(await updateCoalition(app, created.id, { description: '' })).toMatchObject({ changed: false });
    expect(rebuilds()).toEqual(['coalition.create']);
    await updateCoalition(app, created.id, { description: 'now described' });
    await deleteCoalition(app, created.id);
    expect(rebuilds()).toEqual(['coalition.create', 'coalition.update', 'coalition.delete']);
  });

  it('user.setClearance', async () => {
    const client = api.client(admin.token);
    const pilot = await api.user({ clearanceLevel: 0 });
    await together(
      () => client.user.setClearance.mutate({ id: pilot.id, level: 3 }),
      async () =>
        (await sql.query('SELECT clearance_level FROM users WHERE id = $1', [pilot.id])).rows[0]
          .clearance_level,
    );
  });

  it('user.setAuthorizedToLogin and user.delete', async () => {
    const client = api.client(admin.token);
    const pilot = await api.user({ clearanceLevel: 0 });
    await together(
      () => client.user.setAuthorizedToLogin.mutate({ id: pilot.id, authorizedToLogin: false }),
      async () =>
        (await sql.query('SELECT authorized_to_login FROM users WHERE id = $1', [pilot.id])).rows[0]
          .authorized_to_login,
    );
    await together(
      () => client.user.delete.mutate({ id: pilot.id }),
      () => count(`users WHERE id = $1`, [pilot.id]),
    );
  });

  it('corporation.refresh: what ESI says now and its audit entry', async () => {
    const client = api.client(admin.token);
    await client.corporation.track.mutate({ corporationId: GAMMA });
    esi.corporations.get(GAMMA)!.name = 'Gamma Atomic';
    await together(
      () => client.corporation.refresh.mutate({ corporationId: GAMMA }),
      async () =>
        (await sql.query('SELECT name FROM corporations WHERE corporation_id = $1', [GAMMA])).rows[0].name,
    );
  });

  it('token.create', async () => {
    const client = api.client(admin.token);
    await together(
      () => client.token.create.mutate({ kind: 'user', comment: 'atomic' }),
      () => count(`api_tokens WHERE comment = $1`, ['atomic']),
    );
  });

  it('token.revoke', async () => {
    const client = api.client(admin.token);
    const created = await client.token.create.mutate({ kind: 'user', comment: 'atomic revoke' });
    await together(
      () => client.token.revoke.mutate({ id: created.id }),
      () => count(`api_tokens WHERE id = $1 AND revoked_at IS NULL`, [created.id]),
    );
  });

  it('the createRuleGroup and updateCorporation use cases, called without the control plane: the change, its audit entry, then the rebuild', async () => {
    const em = api.t.db.fork();
    addCorporation(em, 98_700_004, { name: 'Atomic Rules', ticker: 'ARULE' });
    await em.flush();
    const app = api.useCase(admin.id);
    const affiliation = { userId: admin.id, corporationId: null, allianceId: null, coalitionIds: [] };
    const caller = { userId: admin.id, characterId: 1, clearanceLevel: 10, affiliation, requestId: null };
    const input = { name: 'Atomic Rule Wing', description: '', rule: { corporation: [98_700_004] } };
    const login = { corporationId: 98_700_004, authorizedToLogin: true };
    const rebuilds = () => api.jobs.rebuildRequests.map((r) => r.trigger);
    api.jobs.rebuildRequests.length = 0;
    await auditRefuses(true);
    try {
      await expect(createRuleGroup(app, caller, input)).rejects.toThrow(/the audit log is unavailable/);
      await expect(updateCorporation(app, login)).rejects.toThrow(/the audit log is unavailable/);
    } finally {
      await auditRefuses(false);
    }
    // Nothing committed, so nothing is rebuilt.
    expect(await count(`groups WHERE name = $1`, [input.name])).toBe(0);
    expect(await count(`corporations WHERE corporation_id = $1 AND authorized_to_login`, [98_700_004])).toBe(
      0,
    );
    expect(rebuilds()).toEqual([]);
    const group = await createRuleGroup(app, caller, input);
    await updateCorporation(app, login);
    expect(
      await count(`audit_log WHERE action = 'ruleGroup.create' AND subject = $1`, [`group:${group.id}`]),
    ).toBe(1);
    expect(await count(`corporations WHERE corporation_id = $1 AND authorized_to_login`, [98_700_004])).toBe(
      1,
    );
    expect(rebuilds()).toEqual(['ruleGroup.create', 'corporation.update']);
    // The same flag again moves nothing, so nothing is rebuilt.
    await updateCorporation(app, login);
    expect(rebuilds()).toEqual(['ruleGroup.create', 'corporation.update']);
  });

  it('corporation.guests.invite and corporation.guests.remove', async () => {
    const client = api.client(admin.token);
    const em = api.t.db.fork();
    addCorporation(em, 98_700_001, { name: 'Atomic Hosts', ticker: 'AHOST' });
    await em.flush();
    const guest = () =>
      sql.query('SELECT corporation_id FROM users WHERE character_id = $1', [95_700_001]).then((r) => r.rows);
    await together(
      () =>
        client.corporation.guests.invite.mutate({
          corporationId: 98_700_001,
          characterId: 95_700_001,
          characterName: 'Atomic Guest',
        }),
      guest,
    );
    const [{ id }] = (await sql.query('SELECT id FROM users WHERE character_id = $1', [95_700_001])).rows;
    await together(
      () => client.corporation.guests.remove.mutate({ corporationId: 98_700_001, userId: id }),
      guest,
    );
  });

  it('the guests use cases, called directly: the directory changed when a guest came or went', async () => {
    const em = api.t.db.fork();
    addCorporation(em, 98_700_003, { name: 'Direct Hosts', ticker: 'DHOST' });
    await em.flush();
    const app = api.useCase(admin.id);
    const affiliation = { userId: admin.id, corporationId: null, allianceId: null, coalitionIds: [] };
    const actor = { userId: admin.id, characterId: 1, clearanceLevel: 10, affiliation };
    const host = { kind: 'corporation' as const, id: 98_700_003 };
    const rebuilds = () => api.jobs.rebuildRequests.map((r) => r.trigger);
    api.jobs.rebuildRequests.length = 0;
    const input = { characterId: 95_700_002, characterName: 'Direct Guest' };
    const { user } = await inviteGuest(app, actor, host, input);
    expect(rebuilds()).toEqual(['corporation.guests.invite']);
    // Already its guest: nothing changed, nothing to rebuild.
    expect(await inviteGuest(app, actor, host, input)).toMatchObject({ changed: false });
    expect(rebuilds()).toEqual(['corporation.guests.invite']);
    await removeGuest(app, actor, host, user.id);
    expect(rebuilds()).toEqual(['corporation.guests.invite', 'corporation.guests.remove']);
  });

  it("a new link challenge: the user's earlier pending one is replaced only with the new one and its audit entry", async () => {
    const pilot = await api.user({ clearanceLevel: 0 });
    const start = (secret: string) =>
      startChallenge(
        api.t.db.fork(),
        { kind: 'discord-code', userId: pilot.id, target: 'main', secret, ttlSeconds: 600 },
        'link.discord.start',
        { method: 'code' },
        new Date(),
      );
    await start('FIRST-CODE');
    const pending = async () =>
      (
        await sql.query<{ id: string }>(
          `SELECT id FROM challenges WHERE user_id = $1 AND used_at IS NULL ORDER BY id`,
          [pilot.id],
        )
      ).rows;
    expect(await pending()).toHaveLength(1);
    await together(() => start('SECOND-CODE'), pending, {
      message: expect.stringMatching(/the audit log is unavailable/),
    });
    expect(await pending()).toHaveLength(1);
  });

  it('the startGuestInvitation use case: the invitation state and its audit entry together', async () => {
    const em = api.t.db.fork();
    addCorporation(em, 98_700_002, { name: 'Atomic Inviters', ticker: 'AINV' });
    await em.flush();
    const app = api.useCase(admin.id);
    const affiliation = { userId: admin.id, corporationId: null, allianceId: null, coalitionIds: [] };
    const actor = { userId: admin.id, characterId: 1, clearanceLevel: 10, affiliation };
    const login = {
      sso: { authorizeUrl: () => 'https://sso.example/authorize' },
      settings: loginSettingsOf(api.deps.config),
    };
    const invite = { kind: 'corporation', id: 98_700_002 } as const;
    const states = () => count(`challenges WHERE kind = 'sso-login'`);
    const before = await states();
    await auditRefuses(true);
    try {
      await expect(startGuestInvitation(app, actor, login, invite)).rejects.toThrow(
        /the audit log is unavailable/,
      );
    } finally {
      await auditRefuses(false);
    }
    expect(await states()).toBe(before);
    await startGuestInvitation(app, actor, login, invite);
    expect(await states()).toBe(before + 1);
    expect(
      await count(
        `audit_log WHERE action = 'corporation.guests.inviteUrl' AND subject = $1 AND actor_id = $2`,
        ['corporation:98700002', admin.id],
      ),
    ).toBe(1);
  });
});
