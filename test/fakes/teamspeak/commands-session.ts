/** Session commands: login, logout, quit, use, whoami, version, serverinfo, serverlist, permget, clientupdate. */
import { nonEmpty, type CommandContext, type HandlerTable } from './context.ts';
import { errors } from './protocol.ts';
import { grantedValue, permissionId, permissionName } from './permissions.ts';
import type { VirtualServer } from './state.ts';

export const VERSION = { version: '3.13.7', build: 1655727713, platform: 'Linux' } as const;

/** Removes the session's query client from its virtual server. */
export function leaveServer(ctx: Pick<CommandContext, 'session' | 'state'>): void {
  const { session, state } = ctx;
  if (session.sid !== null && session.clid !== null)
    state.servers.get(session.sid)?.online.delete(session.clid);
  session.sid = null;
  session.clid = null;
}

function selectServer(ctx: CommandContext): VirtualServer {
  const { params, cmd } = ctx;
  const sid = params['sid'] ?? cmd.positional[0];
  if (sid !== undefined) {
    const server = ctx.state.servers.get(Number(sid));
    if (!server) throw errors.invalidServerId();
    return server;
  }
  const port = params['port'];
  if (port === undefined) throw errors.parameterNotFound();
  const server = ctx.state.serverByPort(Number(port));
  if (!server) throw errors.invalidServerId();
  return server;
}

function serverRecord(server: VirtualServer) {
  return {
    virtualserver_id: server.sid,
    virtualserver_port: server.port,
    virtualserver_status: 'online',
    virtualserver_clientsonline: [...server.online.values()].filter((c) => c.type === 0).length,
    virtualserver_queryclientsonline: [...server.online.values()].filter((c) => c.type === 1).length,
    virtualserver_maxclients: 512,
    virtualserver_name: server.name,
  };
}

export const sessionCommands: HandlerTable = {
  login(ctx) {
    const username = ctx.params['client_login_name'] ?? ctx.cmd.positional[0];
    const password = ctx.params['client_login_password'] ?? ctx.cmd.positional[1];
    if (username === undefined || password === undefined) throw errors.parameterNotFound();
    const account = ctx.state.accounts.get(username);
    if (!account || account.password !== password) throw errors.invalidLogin();
    ctx.session.account = username;
  },

  logout(ctx) {
    leaveServer(ctx);
    ctx.session.account = null;
  },

  quit(ctx) {
    ctx.session.closing = true;
  },

  use(ctx) {
    const server = selectServer(ctx);
    const { session } = ctx;
    const nickname =
      ctx.params['client_nickname'] ??
      session.nickname ??
      `${session.account ?? 'guest'} from ${session.address}:${session.remotePort}`;
    if (
      server.nicknameTaken(nickname, session.sid === server.sid ? (session.clid ?? undefined) : undefined)
    ) {
      throw errors.nicknameInUse();
    }
    leaveServer(ctx);
    const uid = session.account ?? 'serverquery-guest';
    const entry = server.dbClientByUid(uid) ?? server.addDbClient(uid, uid);
    const client = server.connect(nickname, 1, entry);
    session.sid = server.sid;
    session.clid = client.clid;
    session.nickname = nickname;
  },

  whoami(ctx) {
    const { session } = ctx;
    const server = session.sid === null ? undefined : ctx.state.servers.get(session.sid);
    const client = server && session.clid !== null ? server.online.get(session.clid) : undefined;
    return [
      {
        virtualserver_status: server ? 'online' : 'unknown',
        virtualserver_id: server?.sid ?? 0,
        virtualserver_unique_identifier: server?.uniqueId,
        virtualserver_port: server?.port ?? 0,
        client_id: client?.clid ?? 0,
        client_channel_id: client?.cid ?? 0,
        client_nickname: client?.nickname,
        client_database_id: client?.cldbid ?? 0,
        client_login_name: session.account ?? undefined,
        client_unique_identifier: client?.uid,
        client_origin_server_id: 0,
      },
    ];
  },

  version: () => [{ ...VERSION }],

  serverinfo(ctx) {
    ctx.requirePermission('b_virtualserver_info_view');
    const server = ctx.server();
    return [
      {
        ...serverRecord(server),
        virtualserver_unique_identifier: server.uniqueId,
        virtualserver_version: VERSION.version,
      },
    ];
  },

  serverlist(ctx) {
    if (ctx.session.account === null)
      throw errors.insufficientPermissions(permissionId('b_virtualserver_select') ?? 0);
    return nonEmpty([...ctx.state.servers.values()].map(serverRecord));
  },

  permget(ctx) {
    ctx.requirePermission('b_client_permissionoverview_own');
    ctx.server();
    return ctx.cmd.blocks.map((block) => {
      const name =
        block['permsid'] ?? (block['permid'] === undefined ? null : permissionName(Number(block['permid'])));
      const id = name === null ? null : permissionId(name);
      if (name === null || id === null) throw errors.invalidPermission();
      return {
        permsid: name,
        permid: id,
        permvalue: ctx.state.deniedPermissions.has(name) ? 0 : grantedValue(name),
      };
    });
  },

  clientupdate(ctx) {
    const nickname = ctx.params['client_nickname'];
    if (nickname === undefined) return;
    const { session } = ctx;
    if (session.clid !== null) ctx.server().rename(session.clid, nickname);
    session.nickname = nickname;
  },
};
