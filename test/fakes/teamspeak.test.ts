import { afterEach, describe, expect, it } from 'vitest';
import { QueryProtocol, TeamSpeak } from 'ts3-nodejs-library';
import {
  escape,
  parseCommand,
  startFakeTeamspeak,
  unescape,
  type FakeTeamspeak,
  type FakeTeamspeakOptions,
} from './teamspeak/index.ts';
import { openRawClient, type RawQueryClient } from './teamspeak/raw-client.ts';

const open: { fakes: FakeTeamspeak[]; clients: RawQueryClient[] } = { fakes: [], clients: [] };

async function fake(options: FakeTeamspeakOptions = {}): Promise<FakeTeamspeak> {
  const started = await startFakeTeamspeak({ flood: { whitelist: ['127.0.0.1'] }, ...options });
  open.fakes.push(started);
  return started;
}

async function raw(ts: FakeTeamspeak, login = true): Promise<RawQueryClient> {
  const client = await openRawClient(ts.port);
  open.clients.push(client);
  if (login) {
    expect((await client.send('login serveradmin secret')).error).toBe('error id=0 msg=ok');
    expect((await client.send('use sid=1')).error).toBe('error id=0 msg=ok');
  }
  return client;
}

afterEach(async () => {
  open.clients.splice(0).forEach((c) => c.close());
  await Promise.all(open.fakes.splice(0).map((f) => f.close()));
});

describe('ServerQuery escaping and parsing', () => {
  it('escapes every special character and round-trips', () => {
    const text = 'a b|c/d\\e\nf\rg\th\vi\fj\u0007k\bl';
    expect(escape(text)).toBe('a\\sb\\pc\\/d\\\\e\\nf\\rg\\th\\vi\\fj\\ak\\bl');
    expect(unescape(escape(text))).toBe(text);
  });

  it('parses flags, positional words and |-separated blocks that inherit the first block', () => {
    const cmd = parseCommand('servergroupaddclient sgid=9 cldbid=1|cldbid=2 -names');
    expect(cmd.name).toBe('servergroupaddclient');
    expect(cmd.blocks).toEqual([
      { sgid: '9', cldbid: '1' },
      { sgid: '9', cldbid: '2' },
    ]);
    expect([...cmd.flags]).toEqual(['names']);
    expect(parseCommand('login user pa\\sss').positional).toEqual(['user', 'pa ss']);
  });
});

describe('fake TeamSpeak over a raw socket', () => {
  it('greets like TeamSpeak and answers unknown commands with error 256', async () => {
    const ts = await fake();
    const client = await raw(ts, false);
    expect(client.greeting[0]).toBe('TS3');
    expect(client.greeting[1]).toMatch(/^Welcome to the TeamSpeak 3 ServerQuery interface/);
    expect(await client.send('frobnicate')).toEqual({
      data: [],
      error: 'error id=256 msg=command\\snot\\sfound',
    });
    expect((await client.send('version')).data[0]).toMatch(/^version=3\.\d+\.\d+ build=\d+ platform=Linux$/);
  });

  it('needs a login and a selected virtual server', async () => {
    const ts = await fake();
    const client = await raw(ts, false);
    expect((await client.send('servergrouplist')).error).toMatch(
      /^error id=2568 msg=insufficient\\sclient\\spermissions failed_permid=\d+$/,
    );
    expect((await client.send('login serveradmin wrong')).error).toBe(
      'error id=520 msg=invalid\\sloginname\\sor\\spassword',
    );
    expect(
      (await client.send('login client_login_name=serveradmin client_login_password=secret')).error,
    ).toBe('error id=0 msg=ok');
    expect((await client.send('servergrouplist')).error).toBe('error id=1024 msg=invalid\\sserverID');
    expect((await client.send('use port=9987 client_nickname=Bot')).error).toBe('error id=0 msg=ok');
    const who = await client.send('whoami');
    expect(who.data[0]).toContain('virtualserver_id=1');
    expect(who.data[0]).toContain('client_nickname=Bot');
    expect(ts.onlineClients().map((c) => [c.nickname, c.type])).toEqual([['Bot', 1]]);
    expect((await client.send('use 7')).error).toBe('error id=1024 msg=invalid\\sserverID');
  });

  it('escapes names in answers and keeps virtual servers apart', async () => {
    const ts = await fake({ virtualServers: 2 });
    const client = await raw(ts);
    const added = await client.send('servergroupadd name=Alpha\\s\\p\\/x');
    expect(added.error).toBe('error id=0 msg=ok');
    const sgid = /^sgid=(\d+)$/.exec(added.data[0] ?? '')?.[1] ?? '';
    expect(ts.serverGroups().find((g) => g.sgid === sgid)?.name).toBe('Alpha |/x');
    expect((await client.send('servergrouplist')).data[0]).toContain(
      `sgid=${sgid} name=Alpha\\s\\p\\/x type=1`,
    );
    expect(ts.serverGroups(2).some((g) => g.name === 'Alpha |/x')).toBe(false);
    expect((await client.send('servergroupadd name=Alpha\\s\\p\\/x')).error).toBe(
      'error id=1282 msg=database\\sduplicate\\sentry',
    );
  });

  it('adds and removes several clients per command with the real error ids', async () => {
    const ts = await fake();
    const a = ts.addDbClient({ nickname: 'a' }).cldbid;
    const b = ts.addDbClient({ nickname: 'b' }).cldbid;
    const sgid = ts.createServerGroup('Members');
    const client = await raw(ts);
    expect((await client.send(`servergroupclientlist sgid=${sgid}`)).error).toBe('error id=0 msg=ok');
    expect((await client.send(`servergroupaddclient sgid=${sgid} cldbid=${a}|cldbid=${b}`)).error).toBe(
      'error id=0 msg=ok',
    );
    expect(ts.groupMembers(sgid)).toEqual([a, b]);
    expect((await client.send(`servergroupclientlist sgid=${sgid}`)).data).toEqual([
      `cldbid=${a}|cldbid=${b}`,
    ]);
    expect((await client.send(`servergroupclientlist sgid=${sgid} -names`)).data[0]).toContain(
      `cldbid=${a} client_nickname=a`,
    );
    expect((await client.send(`servergroupaddclient sgid=${sgid} cldbid=${a}`)).error).toBe(
      'error id=2561 msg=duplicate\\sentry',
    );
    expect((await client.send(`servergroupdelclient sgid=${sgid} cldbid=${a}|cldbid=${b}`)).error).toBe(
      'error id=0 msg=ok',
    );
    expect((await client.send(`servergroupdelclient sgid=${sgid} cldbid=${a}`)).error).toBe(
      'error id=2563 msg=empty\\sresult\\sset',
    );
    // A missing client stops the command; the ones before it stay applied.
    expect(
      (await client.send(`servergroupaddclient sgid=${sgid} cldbid=${a}|cldbid=999|cldbid=${b}`)).error,
    ).toBe('error id=512 msg=invalid\\sclientID');
    expect(ts.groupMembers(sgid)).toEqual([a]);
    expect((await client.send('servergroupclientlist sgid=4242')).error).toBe(
      'error id=2560 msg=invalid\\sgroup\\sID',
    );
    expect((await client.send(`servergroupsbyclientid cldbid=${a}`)).data[0]).toBe(
      `name=Members sgid=${sgid} cldbid=${a}`,
    );
  });

  it('renames and deletes groups (a group with members needs force=1)', async () => {
    const ts = await fake();
    const sgid = ts.createServerGroup('Old', { members: ['1'] });
    const client = await raw(ts);
    expect((await client.send(`servergrouprename sgid=${sgid} name=New\\sName`)).error).toBe(
      'error id=0 msg=ok',
    );
    expect(ts.serverGroups().find((g) => g.sgid === sgid)?.name).toBe('New Name');
    expect((await client.send(`servergroupdel sgid=${sgid} force=0`)).error).toBe(
      'error id=2567 msg=group\\sis\\snot\\sempty',
    );
    expect((await client.send(`servergroupdel sgid=${sgid} force=1`)).error).toBe('error id=0 msg=ok');
    expect(ts.serverGroups().some((g) => g.sgid === sgid)).toBe(false);
  });

  it('lists online and database clients, looks up uids and records private messages', async () => {
    const ts = await fake();
    const alice = ts.connectClient({ nickname: 'Alice Smith', uid: 'alice=' });
    const client = await raw(ts);
    const list = await client.send('clientlist -uid');
    expect(list.data[0]).toContain(
      `clid=${alice.clid} cid=1 client_database_id=${alice.cldbid} client_nickname=Alice\\sSmith client_type=0 client_unique_identifier=alice=`,
    );
    expect((await client.send('clientdblist start=0 duration=1 -count')).data[0]).toMatch(
      /^count=2 cldbid=1 /,
    );
    expect((await client.send('clientdblist start=50')).error).toBe(
      'error id=1281 msg=database\\sempty\\sresult\\sset',
    );
    expect((await client.send(`clientinfo clid=${alice.clid}`)).data[0]).toContain(
      'client_nickname=Alice\\sSmith',
    );
    expect((await client.send('clientinfo clid=77')).error).toBe('error id=512 msg=invalid\\sclientID');
    expect((await client.send('clientgetdbidfromuid cluid=alice=')).data[0]).toBe(
      `cluid=alice= cldbid=${alice.cldbid}`,
    );
    expect((await client.send('clientgetids cluid=alice=')).data[0]).toBe(
      `cluid=alice= clid=${alice.clid} name=Alice\\sSmith`,
    );
    expect(
      (await client.send(`sendtextmessage targetmode=1 target=${alice.clid} msg=Hi\\sthere`)).error,
    ).toBe('error id=0 msg=ok');
    expect(ts.messages()).toMatchObject([
      { targetmode: 1, targetCldbid: alice.cldbid, targetNickname: 'Alice Smith', msg: 'Hi there' },
    ]);
    expect((await client.send('clientupdate client_nickname=Alice\\sSmith')).error).toBe(
      'error id=513 msg=nickname\\sis\\salready\\sin\\suse',
    );
    expect((await client.send('clientupdate client_nickname=Roster')).error).toBe('error id=0 msg=ok');
    expect(ts.onlineClients().find((c) => c.type === 1)?.nickname).toBe('Roster');
  });

  it("finds database clients by a custom property's value (LIKE pattern), 1281 when none match", async () => {
    const ts = await fake();
    const a = ts.addDbClient({ nickname: 'A', custom: { sso_uid: '[TICK]_Alice_Smith' } });
    const b = ts.addDbClient({ nickname: 'B', custom: { sso_uid: 'Bob' } });
    ts.addDbClient({ nickname: 'C', custom: { other: 'Bob' } });
    const client = await raw(ts);
    expect((await client.send('customsearch ident=sso_uid pattern=%')).data[0]).toBe(
      `cldbid=${a.cldbid} ident=sso_uid value=[TICK]_Alice_Smith|cldbid=${b.cldbid} ident=sso_uid value=Bob`,
    );
    expect((await client.send('customsearch ident=sso_uid pattern=b_b')).data[0]).toBe(
      `cldbid=${b.cldbid} ident=sso_uid value=Bob`,
    );
    expect((await client.send('customsearch ident=sso_uid pattern=Carol')).error).toBe(
      'error id=1281 msg=database\\sempty\\sresult\\sset',
    );
    ts.denyPermissions('b_client_custom_info_view');
    expect((await client.send('customsearch ident=sso_uid pattern=%')).error).toMatch(/^error id=2568 /);
  });

  it('reports denied permissions through permget and refuses the commands', async () => {
    const ts = await fake();
    ts.denyPermissions('b_virtualserver_servergroup_create');
    const client = await raw(ts);
    const perms = await client.send(
      'permget permsid=b_virtualserver_servergroup_create|permsid=i_group_member_add_power',
    );
    expect(perms.data[0]).toMatch(
      /^permsid=b_virtualserver_servergroup_create permid=\d+ permvalue=0\|permsid=i_group_member_add_power permid=\d+ permvalue=75$/,
    );
    expect((await client.send('servergroupadd name=X')).error).toMatch(/^error id=2568 /);
    ts.grantAllPermissions();
    expect((await client.send('servergroupadd name=X')).error).toBe('error id=0 msg=ok');
  });

  it('injects errors and drops, logs commands without passwords', async () => {
    const ts = await fake();
    const client = await raw(ts);
    ts.failNext('servergrouplist', { id: 2568, msg: 'insufficient client permissions' });
    expect((await client.send('servergrouplist')).error).toBe(
      'error id=2568 msg=insufficient\\sclient\\spermissions',
    );
    expect((await client.send('servergrouplist')).error).toBe('error id=0 msg=ok');
    expect(ts.commandCount('servergrouplist')).toBe(2);
    expect(ts.commandLog().find((e) => e.name === 'login')?.line).toBe('login serveradmin ***');
    ts.dropOnNext('clientlist');
    client.write('clientlist');
    expect(await client.closed()).toEqual([]);
    expect(ts.connectionCount()).toBe(0);
  });
});

describe('fake TeamSpeak flood protection', () => {
  it('refuses the 11th command within 3 s with error 524, then bans the address (3329)', async () => {
    const ts = await fake({ flood: {} });
    const client = await raw(ts); // login + use = 2 commands
    for (let i = 0; i < 8; i++) expect((await client.send('version')).error).toBe('error id=0 msg=ok');
    const flooded = await client.send('version');
    expect(flooded.error).toMatch(
      /^error id=524 msg=client\\sis\\sflooding extra_msg=please\\swait\\s\d+\\sseconds$/,
    );
    await client.closed();
    expect(ts.floodEvents()).toHaveLength(1);
    expect(ts.bans().map((b) => b.address)).toEqual(['127.0.0.1']);
    const again = await openRawClient(ts.port);
    open.clients.push(again);
    expect(again.greeting).toEqual([
      expect.stringMatching(
        /^error id=3329 msg=connection\\sfailed,\\syou\\sare\\sbanned extra_msg=you\\smay\\sretry\\sin\\s\d+\\sseconds$/,
      ),
    ]);
    ts.unban();
    expect((await raw(ts, false)).greeting[0]).toBe('TS3');
  });

  it('lets whitelisted addresses send as fast as they like', async () => {
    const ts = await fake({ flood: { whitelist: ['127.0.0.1'] } });
    const client = await raw(ts);
    for (let i = 0; i < 40; i++) expect((await client.send('whoami')).error).toBe('error id=0 msg=ok');
    expect(ts.floodEvents()).toHaveLength(0);
  });

  it('refuses without banning when banMs is 0', async () => {
    const ts = await fake({ flood: { commands: 3, windowMs: 60_000, banMs: 0 } });
    const client = await raw(ts, false);
    for (let i = 0; i < 3; i++) await client.send('version');
    expect((await client.send('version')).error).toMatch(/^error id=524 /);
    expect(ts.bans()).toEqual([]);
  });
});

describe('fake TeamSpeak with ts3-nodejs-library', () => {
  const connect = (ts: FakeTeamspeak) =>
    TeamSpeak.connect({
      host: ts.host,
      queryport: ts.port,
      protocol: QueryProtocol.RAW,
      username: 'serveradmin',
      password: 'secret',
      nickname: 'Lib',
      keepAlive: false,
    });

  it('runs the library unmodified: login, use, groups, clients, messages', async () => {
    const ts = await fake();
    const bob = ts.connectClient({ nickname: 'Bob', uid: 'bob=' });
    const lib = await connect(ts);
    try {
      await lib.useBySid('1', 'Lib');
      expect((await lib.whoami()).clientNickname).toBe('Lib');
      const created = await lib.serverGroupCreate('Fleet Command');
      const groups = await lib.serverGroupList({ type: 1 });
      expect(groups.map((g) => g.name)).toContain('Fleet Command');
      await lib.serverGroupAddClient([bob.cldbid], created.sgid);
      expect(await lib.serverGroupClientList(created.sgid)).toEqual([
        { cldbid: bob.cldbid, clientNickname: 'Bob', clientUniqueIdentifier: 'bob=' },
      ]);
      const clients = await lib.clientList({ clientType: 0 });
      expect(clients.map((c) => c.nickname)).toEqual(['Bob']);
      await lib.sendTextMessage(bob.clid, 1, 'Please rename');
      expect(ts.messages()[0]?.msg).toBe('Please rename');
      await expect(lib.serverGroupCreate('Fleet Command')).rejects.toMatchObject({ id: '1282' });
      await expect(lib.execute('nonsense')).rejects.toMatchObject({ id: '256', msg: 'command not found' });
    } finally {
      lib.forceQuit();
    }
  });

  it('closes the library connection on dropConnections() and accepts it again after restart()', async () => {
    const ts = await fake();
    const lib = await connect(ts);
    const closed = new Promise((resolve) => lib.once('close', resolve));
    expect(ts.dropConnections()).toBe(1);
    await closed;
    await ts.restart(20);
    const again = await connect(ts);
    await again.useBySid('1', 'Lib');
    expect(String((await again.version())?.version)).toMatch(/^3\./);
    again.forceQuit();
  });
});
