/** The fake's data: virtual servers with their server groups, client database and online clients. */
import { errors } from './protocol.ts';

/** 0 template, 1 regular, 2 query: the real server's group types. */
export type GroupType = 0 | 1 | 2;

export interface FakeServerGroup {
  readonly sgid: string;
  name: string;
  readonly type: GroupType;
  readonly members: Set<string>;
}

export interface FakeDbClient {
  readonly cldbid: string;
  readonly uid: string;
  nickname: string;
  readonly created: number;
  lastConnected: number;
  totalConnections: number;
  /** Custom properties (`ident` -> `value`), as a privilege key's `tokencustomset` leaves them. */
  readonly custom: Map<string, string>;
}

export interface FakeOnlineClient {
  readonly clid: string;
  readonly cldbid: string;
  readonly uid: string;
  nickname: string;
  /** 0 a voice client, 1 a query client. */
  readonly type: 0 | 1;
  readonly cid: string;
}

export interface FakeTextMessage {
  readonly sid: number;
  /** 1 private (to a client), 2 channel, 3 server. */
  readonly targetmode: number;
  readonly target: string;
  /** For private messages: the receiving client's database id and nickname at the time. */
  readonly targetCldbid: string | null;
  readonly targetNickname: string | null;
  readonly msg: string;
  readonly invokerName: string;
  readonly at: number;
}

/** Name limit of server groups and nicknames on the real server. */
export const NAME_MAX_LENGTH = 30;

const now = (): number => Math.floor(Date.now() / 1000);

export class VirtualServer {
  readonly sid: number;
  readonly port: number;
  readonly name: string;
  readonly uniqueId: string;
  readonly groups = new Map<string, FakeServerGroup>();
  readonly db = new Map<string, FakeDbClient>();
  readonly online = new Map<string, FakeOnlineClient>();
  readonly messages: FakeTextMessage[] = [];
  private nextSgid = 1;
  private nextCldbid = 1;
  private nextClid = 1;

  constructor(sid: number, port: number, name: string, defaultGroups: boolean) {
    this.sid = sid;
    this.port = port;
    this.name = name;
    this.uniqueId = `fake-vserver-${sid}=`;
    if (defaultGroups) {
      this.addGroup('Guest Server Query', 2);
      this.addGroup('Admin Server Query', 2);
      this.nextSgid = 6;
      this.addGroup('Server Admin', 1);
      this.addGroup('Normal', 1);
      this.addGroup('Guest', 1);
    }
  }

  addGroup(name: string, type: GroupType = 1): FakeServerGroup {
    if ([...name].length > NAME_MAX_LENGTH || name.trim() === '') throw errors.invalidParameter();
    for (const group of this.groups.values()) {
      if (group.name === name && group.type === type) throw errors.duplicateEntryDb();
    }
    const group: FakeServerGroup = { sgid: String(this.nextSgid++), name, type, members: new Set() };
    this.groups.set(group.sgid, group);
    return group;
  }

  group(sgid: string | undefined): FakeServerGroup {
    const group = sgid === undefined ? undefined : this.groups.get(sgid);
    if (!group) throw errors.invalidGroupId();
    return group;
  }

  addDbClient(nickname: string, uid?: string): FakeDbClient {
    const cldbid = String(this.nextCldbid++);
    const entry: FakeDbClient = {
      cldbid,
      uid: uid ?? `fakeuid${cldbid}=`,
      nickname,
      created: now(),
      lastConnected: now(),
      totalConnections: 0,
      custom: new Map(),
    };
    this.db.set(cldbid, entry);
    return entry;
  }

  dbClient(cldbid: string | undefined): FakeDbClient {
    const entry = cldbid === undefined ? undefined : this.db.get(cldbid);
    if (!entry) throw errors.invalidClientId();
    return entry;
  }

  dbClientByUid(uid: string): FakeDbClient | undefined {
    for (const entry of this.db.values()) if (entry.uid === uid) return entry;
    return undefined;
  }

  nicknameTaken(nickname: string, exceptClid?: string): boolean {
    for (const client of this.online.values()) {
      if (client.nickname === nickname && client.clid !== exceptClid) return true;
    }
    return false;
  }

  /** Puts a client online; a client with a known uid reuses its database entry. */
  connect(nickname: string, type: 0 | 1, dbEntry: FakeDbClient): FakeOnlineClient {
    if (this.nicknameTaken(nickname)) throw errors.nicknameInUse();
    const client: FakeOnlineClient = {
      clid: String(this.nextClid++),
      cldbid: dbEntry.cldbid,
      uid: dbEntry.uid,
      nickname,
      type,
      cid: '1',
    };
    this.online.set(client.clid, client);
    dbEntry.nickname = nickname;
    dbEntry.lastConnected = now();
    dbEntry.totalConnections += 1;
    return client;
  }

  onlineClient(clid: string | undefined): FakeOnlineClient {
    const client = clid === undefined ? undefined : this.online.get(clid);
    if (!client) throw errors.invalidClientId();
    return client;
  }

  rename(clid: string, nickname: string): void {
    const client = this.onlineClient(clid);
    if ([...nickname].length > NAME_MAX_LENGTH || nickname === '') throw errors.invalidParameter();
    if (this.nicknameTaken(nickname, clid)) throw errors.nicknameInUse();
    client.nickname = nickname;
    const entry = this.db.get(client.cldbid);
    if (entry) entry.nickname = nickname;
  }

  groupsOf(cldbid: string): FakeServerGroup[] {
    return [...this.groups.values()].filter((g) => g.members.has(cldbid));
  }
}

export interface QueryAccount {
  readonly username: string;
  readonly password: string;
}

/** Everything that survives a restart of the fake (the real server keeps its database). */
export class FakeState {
  readonly servers = new Map<number, VirtualServer>();
  readonly accounts = new Map<string, QueryAccount>();
  /** Permissions the query accounts lack (by name, e.g. `b_virtualserver_servergroup_create`). */
  readonly deniedPermissions = new Set<string>();
  private readonly defaultGroups: boolean;

  constructor(accounts: readonly QueryAccount[], defaultGroups: boolean) {
    for (const account of accounts) this.accounts.set(account.username, account);
    this.defaultGroups = defaultGroups;
  }

  addServer(sid?: number, port?: number, name?: string): VirtualServer {
    const id = sid ?? Math.max(0, ...this.servers.keys()) + 1;
    if (this.servers.has(id)) throw new Error(`virtual server ${id} exists`);
    const server = new VirtualServer(id, port ?? 9986 + id, name ?? `Fake Server ${id}`, this.defaultGroups);
    for (const account of this.accounts.values()) server.addDbClient(account.username, account.username);
    this.servers.set(id, server);
    return server;
  }

  server(sid: number): VirtualServer {
    const server = this.servers.get(sid);
    if (!server) throw new Error(`no virtual server ${sid}`);
    return server;
  }

  serverByPort(port: number): VirtualServer | undefined {
    for (const server of this.servers.values()) if (server.port === port) return server;
    return undefined;
  }
}
