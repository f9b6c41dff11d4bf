/**
 * A fake TeamSpeak 3 ServerQuery server (raw protocol over TCP) for tests, benchmarks and the demo.
 * ts3-nodejs-library talks to it unmodified. Test controls create groups and clients, read the
 * command log and sent messages, deny permissions, inject faults, drop connections and restart.
 */
import {
  FakeState,
  type FakeOnlineClient,
  type FakeTextMessage,
  type GroupType,
  type QueryAccount,
  type VirtualServer,
} from './state.ts';
import { QueryServer, type CommandLogEntry } from './server.ts';
import type { FloodEvent, FloodOptions } from './flood.ts';

export type {
  CommandLogEntry,
  FloodEvent,
  FloodOptions,
  FakeOnlineClient,
  FakeTextMessage,
  QueryAccount,
  VirtualServer,
};
export { escape, unescape, parseCommand } from './protocol.ts';
export { permissionNames } from './permissions.ts';

export interface FakeTeamspeakOptions {
  readonly host?: string;
  /** 0 (default) = a random free port. */
  readonly port?: number;
  /** Query accounts; default one: serveradmin / secret. */
  readonly accounts?: readonly QueryAccount[];
  /** Number of virtual servers (sid 1..n), default 1. */
  readonly virtualServers?: number;
  /** Start each virtual server with the stock groups (query groups 1-2, Server Admin 6, Normal 7, Guest 8). */
  readonly defaultGroups?: boolean;
  /** Flood protection; defaults to TeamSpeak's: 10 commands per 3 s, 600 s ban. */
  readonly flood?: FloodOptions;
  /** Close query connections idle this long (the real server: 300 s); 0 = never (default). */
  readonly idleTimeoutMs?: number;
}

export interface FakeGroupView {
  readonly sgid: string;
  readonly name: string;
  readonly type: GroupType;
  readonly members: string[];
}

export interface FakeTeamspeak {
  readonly host: string;
  readonly port: number;
  readonly state: FakeState;
  server(sid?: number): VirtualServer;
  addVirtualServer(options?: { sid?: number; port?: number; name?: string }): number;

  createServerGroup(
    name: string,
    options?: { sid?: number; type?: GroupType; members?: readonly string[] },
  ): string;
  serverGroups(sid?: number): FakeGroupView[];
  /** Member cldbids of a group, sorted numerically. */
  groupMembers(sgid: string, sid?: number): string[];
  addGroupMembers(sgid: string, cldbids: readonly string[], sid?: number): void;

  /** `custom`: custom properties (Alliance Auth's `sso_uid`), as a used privilege key sets them. */
  addDbClient(options: {
    nickname: string;
    uid?: string;
    sid?: number;
    custom?: Readonly<Record<string, string>>;
  }): { cldbid: string; uid: string };
  /** Puts a voice client online, reusing the database entry of `cldbid` or `uid` when given. */
  connectClient(options: { nickname: string; uid?: string; cldbid?: string; sid?: number }): {
    clid: string;
    cldbid: string;
    uid: string;
  };
  disconnectClient(clid: string, sid?: number): void;
  renameClient(clid: string, nickname: string, sid?: number): void;
  onlineClients(sid?: number): FakeOnlineClient[];
  messages(sid?: number): FakeTextMessage[];

  commandLog(): readonly CommandLogEntry[];
  /** Commands received (all, or of one name), including refused ones. */
  commandCount(name?: string): number;
  clearCommandLog(): void;
  floodEvents(): readonly FloodEvent[];
  bans(): { address: string; until: number }[];
  unban(address?: string): void;

  denyPermissions(...names: string[]): void;
  grantAllPermissions(): void;
  /** The next `times` commands named `command` fail with this error. */
  failNext(command: string, error: { id: number; msg: string }, times?: number): void;
  /** The next `times` commands named `command` make the server destroy the connection instead of answering. */
  dropOnNext(command: string, times?: number): void;
  /** The next `times` commands named `command` get no answer at all (a hung server). */
  stallOnNext(command: string, times?: number): void;

  connectionCount(): number;
  dropConnections(): number;
  close(): Promise<void>;
  /** Stops listening, drops every connection, waits `downMs`, listens again on the same port; data survives. */
  restart(downMs?: number): Promise<void>;
}

export async function startFakeTeamspeak(options: FakeTeamspeakOptions = {}): Promise<FakeTeamspeak> {
  const host = options.host ?? '127.0.0.1';
  const accounts = options.accounts ?? [{ username: 'serveradmin', password: 'secret' }];
  const state = new FakeState(accounts, options.defaultGroups ?? true);
  for (let i = 1; i <= (options.virtualServers ?? 1); i++) state.addServer(i);
  const query = new QueryServer(state, options.flood ?? {}, options.idleTimeoutMs ?? 0);
  const port = await query.listen(host, options.port ?? 0);
  let closed = false;

  const vs = (sid = 1): VirtualServer => state.server(sid);
  const addFault = (command: string, fault: Parameters<QueryServer['faults']['set']>[1][number]): void => {
    const queue = query.faults.get(command) ?? [];
    queue.push(fault);
    query.faults.set(command, queue);
  };

  return {
    host,
    port,
    state,
    server: vs,
    addVirtualServer: (o = {}) => state.addServer(o.sid, o.port, o.name).sid,

    createServerGroup(name, o = {}) {
      const group = vs(o.sid).addGroup(name, o.type ?? 1);
      for (const cldbid of o.members ?? []) group.members.add(cldbid);
      return group.sgid;
    },
    serverGroups: (sid) =>
      [...vs(sid).groups.values()].map((g) => ({
        sgid: g.sgid,
        name: g.name,
        type: g.type,
        members: [...g.members].sort((a, b) => Number(a) - Number(b)),
      })),
    groupMembers: (sgid, sid) => [...vs(sid).group(sgid).members].sort((a, b) => Number(a) - Number(b)),
    addGroupMembers(sgid, cldbids, sid) {
      const group = vs(sid).group(sgid);
      for (const cldbid of cldbids) group.members.add(cldbid);
    },

    addDbClient(o) {
      const entry = vs(o.sid).addDbClient(o.nickname, o.uid);
      for (const [ident, value] of Object.entries(o.custom ?? {})) entry.custom.set(ident, value);
      return { cldbid: entry.cldbid, uid: entry.uid };
    },
    connectClient(o) {
      const server = vs(o.sid);
      const known =
        o.cldbid !== undefined
          ? server.dbClient(o.cldbid)
          : o.uid !== undefined
            ? server.dbClientByUid(o.uid)
            : undefined;
      const client = server.connect(o.nickname, 0, known ?? server.addDbClient(o.nickname, o.uid));
      return { clid: client.clid, cldbid: client.cldbid, uid: client.uid };
    },
    disconnectClient: (clid, sid) => void vs(sid).online.delete(clid),
    renameClient: (clid, nickname, sid) => vs(sid).rename(clid, nickname),
    onlineClients: (sid) => [...vs(sid).online.values()],
    messages: (sid) => [...vs(sid).messages],

    commandLog: () => query.log,
    commandCount: (name) =>
      name === undefined ? query.log.length : query.log.filter((e) => e.name === name).length,
    clearCommandLog: () => void query.log.splice(0),
    floodEvents: () => query.flood.events,
    bans: () => query.flood.bans(),
    unban: (address) => query.flood.unban(address),

    denyPermissions: (...names) => names.forEach((n) => state.deniedPermissions.add(n)),
    grantAllPermissions: () => state.deniedPermissions.clear(),
    failNext: (command, error, times = 1) => addFault(command, { kind: 'error', ...error, times }),
    dropOnNext: (command, times = 1) => addFault(command, { kind: 'drop', times }),
    stallOnNext: (command, times = 1) => addFault(command, { kind: 'stall', times }),

    connectionCount: () => query.connections,
    dropConnections: () => query.dropConnections(),
    async close() {
      closed = true;
      await query.close();
    },
    async restart(downMs = 0) {
      if (closed) throw new Error('fake TeamSpeak is closed');
      await query.close();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await query.listen(host, port);
    },
  };
}
