/** Client commands: online list, database list and info, uid lookups, text messages. */
import { nonEmpty, type HandlerTable } from './context.ts';
import { errors } from './protocol.ts';
import type { FakeOnlineClient, VirtualServer } from './state.ts';

const DBLIST_DEFAULT = 25;
const DBLIST_MAX = 200;

function groupIds(server: VirtualServer, cldbid: string): string {
  return server
    .groupsOf(cldbid)
    .map((g) => g.sgid)
    .join(',');
}

function clientInfo(server: VirtualServer, client: FakeOnlineClient) {
  const entry = server.db.get(client.cldbid);
  return {
    cid: client.cid,
    client_idle_time: 0,
    client_unique_identifier: client.uid,
    client_nickname: client.nickname,
    client_version: client.type === 1 ? 'ServerQuery' : '3.6.2 [Build: 1695203293]',
    client_platform: client.type === 1 ? 'ServerQuery' : 'Linux',
    client_database_id: client.cldbid,
    client_type: client.type,
    client_servergroups: groupIds(server, client.cldbid),
    client_created: entry?.created ?? 0,
    client_lastconnected: entry?.lastConnected ?? 0,
    client_totalconnections: entry?.totalConnections ?? 0,
    connection_client_ip: '127.0.0.1',
  };
}

/** A LIKE pattern as a regular expression (case-insensitive, as the server's default collation). */
function likePattern(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}

export const clientCommands: HandlerTable = {
  clientlist(ctx) {
    ctx.requirePermission('b_virtualserver_client_list');
    const server = ctx.server();
    return [...server.online.values()].map((client) => ({
      clid: client.clid,
      cid: client.cid,
      client_database_id: client.cldbid,
      client_nickname: client.nickname,
      client_type: client.type,
      client_unique_identifier: ctx.flag('uid') ? client.uid : undefined,
      client_servergroups: ctx.flag('groups') ? groupIds(server, client.cldbid) : undefined,
    }));
  },

  clientdblist(ctx) {
    ctx.requirePermission('b_virtualserver_client_dblist');
    const server = ctx.server();
    const start = Number(ctx.params['start'] ?? 0);
    const duration = Math.min(Number(ctx.params['duration'] ?? DBLIST_DEFAULT), DBLIST_MAX);
    const all = [...server.db.values()].sort((a, b) => Number(a.cldbid) - Number(b.cldbid));
    const page = all.slice(start, start + duration).map((entry, i) => ({
      count: i === 0 && ctx.flag('count') ? all.length : undefined,
      cldbid: entry.cldbid,
      client_unique_identifier: entry.uid,
      client_nickname: entry.nickname,
      client_created: entry.created,
      client_lastconnected: entry.lastConnected,
      client_totalconnections: entry.totalConnections,
      client_description: '',
      client_lastip: '127.0.0.1',
    }));
    return nonEmpty(page);
  },

  clientdbinfo(ctx) {
    ctx.requirePermission('b_virtualserver_client_dbinfo');
    const server = ctx.server();
    return ctx.all('cldbid').map((cldbid) => {
      const entry = server.dbClient(cldbid);
      return {
        client_unique_identifier: entry.uid,
        client_nickname: entry.nickname,
        client_database_id: entry.cldbid,
        client_created: entry.created,
        client_lastconnected: entry.lastConnected,
        client_totalconnections: entry.totalConnections,
      };
    });
  },

  clientinfo(ctx) {
    ctx.requirePermission('b_client_info_view');
    const server = ctx.server();
    return ctx.all('clid').map((clid) => clientInfo(server, server.onlineClient(clid)));
  },

  clientgetids(ctx) {
    const server = ctx.server();
    const uid = ctx.required('cluid');
    const online = [...server.online.values()].filter((c) => c.uid === uid);
    return nonEmpty(online.map((c) => ({ cluid: uid, clid: c.clid, name: c.nickname })));
  },

  clientgetdbidfromuid(ctx) {
    ctx.requirePermission('b_virtualserver_client_dbinfo');
    const uid = ctx.required('cluid');
    const entry = ctx.server().dbClientByUid(uid);
    if (!entry) throw errors.emptyResult();
    return [{ cluid: uid, cldbid: entry.cldbid }];
  },

  /**
   * `customsearch ident=... pattern=...`: database clients whose custom property matches the
   * pattern, SQL LIKE style (`%` any run, `_` one character), as Alliance Auth looks its users up
   * by `sso_uid`. None: error 1281.
   */
  customsearch(ctx) {
    ctx.requirePermission('b_client_custom_info_view');
    const ident = ctx.required('ident');
    const pattern = likePattern(ctx.required('pattern'));
    const found = [...ctx.server().db.values()]
      .sort((a, b) => Number(a.cldbid) - Number(b.cldbid))
      .flatMap((entry) => {
        const value = entry.custom.get(ident);
        return value !== undefined && pattern.test(value) ? [{ cldbid: entry.cldbid, ident, value }] : [];
      });
    return nonEmpty(found);
  },

  sendtextmessage(ctx) {
    const server = ctx.server();
    const targetmode = Number(ctx.required('targetmode'));
    const msg = ctx.required('msg');
    let target = ctx.params['target'] ?? '';
    let receiver: FakeOnlineClient | null = null;
    if (targetmode === 1) {
      ctx.requirePermission('i_client_private_textmessage_power');
      receiver = server.onlineClient(ctx.required('target'));
    } else if (targetmode === 2) {
      ctx.requirePermission('b_client_channel_textmessage_send');
      target = '1';
    } else if (targetmode === 3) {
      ctx.requirePermission('b_client_server_textmessage_send');
      target = String(server.sid);
    } else {
      throw errors.invalidParameter();
    }
    const self = ctx.session.clid === null ? undefined : server.online.get(ctx.session.clid);
    server.messages.push({
      sid: server.sid,
      targetmode,
      target,
      targetCldbid: receiver?.cldbid ?? null,
      targetNickname: receiver?.nickname ?? null,
      msg,
      invokerName: self?.nickname ?? 'serveradmin',
      at: Date.now(),
    });
  },
};
