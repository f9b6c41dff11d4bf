/** Server group commands, with the real server's error ids for duplicates and missing entries. */
import { nonEmpty, type HandlerTable } from './context.ts';
import { errors } from './protocol.ts';
import type { FakeServerGroup, GroupType } from './state.ts';

function groupRecord(group: FakeServerGroup) {
  return {
    sgid: group.sgid,
    name: group.name,
    type: group.type,
    iconid: 0,
    savedb: 1,
    sortid: 0,
    namemode: 0,
    n_modifyp: 0,
    n_member_addp: 0,
    n_member_removep: 0,
  };
}

function byNumber(a: string, b: string): number {
  return Number(a) - Number(b);
}

export const groupCommands: HandlerTable = {
  servergrouplist(ctx) {
    ctx.requirePermission('b_virtualserver_servergroup_list');
    return nonEmpty([...ctx.server().groups.values()].map(groupRecord));
  },

  servergroupadd(ctx) {
    ctx.requirePermission('b_virtualserver_servergroup_create');
    const type = Number(ctx.params['type'] ?? 1);
    if (type !== 0 && type !== 1 && type !== 2) throw errors.invalidParameter();
    const group = ctx.server().addGroup(ctx.required('name'), type as GroupType);
    return [{ sgid: group.sgid }];
  },

  servergroupdel(ctx) {
    ctx.requirePermission('b_virtualserver_servergroup_delete');
    const server = ctx.server();
    const group = server.group(ctx.required('sgid'));
    if (group.members.size > 0 && ctx.params['force'] !== '1') throw errors.groupNotEmpty();
    server.groups.delete(group.sgid);
  },

  servergrouprename(ctx) {
    ctx.requirePermission('i_group_modify_power');
    const server = ctx.server();
    const group = server.group(ctx.required('sgid'));
    const name = ctx.required('name');
    if ([...name].length > 30 || name.trim() === '') throw errors.invalidParameter();
    for (const other of server.groups.values()) {
      if (other !== group && other.name === name && other.type === group.type)
        throw errors.duplicateEntryDb();
    }
    group.name = name;
  },

  servergroupclientlist(ctx) {
    ctx.requirePermission('b_virtualserver_servergroup_client_list');
    const server = ctx.server();
    const group = server.group(ctx.required('sgid'));
    // An empty group answers a bare `error id=0 msg=ok`, unlike most list commands (1281).
    return [...group.members].sort(byNumber).map((cldbid) => {
      if (!ctx.flag('names')) return { cldbid };
      const entry = server.db.get(cldbid);
      return { cldbid, client_nickname: entry?.nickname ?? '', client_unique_identifier: entry?.uid ?? '' };
    });
  },

  /** Several `cldbid=` in one command; stops at the first bad one, keeping the ones before it. */
  servergroupaddclient(ctx) {
    ctx.requirePermission('i_group_member_add_power');
    const server = ctx.server();
    const group = server.group(ctx.required('sgid'));
    for (const cldbid of ctx.all('cldbid')) {
      server.dbClient(cldbid);
      if (group.members.has(cldbid)) throw errors.duplicateEntry();
      group.members.add(cldbid);
    }
  },

  servergroupdelclient(ctx) {
    ctx.requirePermission('i_group_member_remove_power');
    const server = ctx.server();
    const group = server.group(ctx.required('sgid'));
    for (const cldbid of ctx.all('cldbid')) {
      server.dbClient(cldbid);
      if (!group.members.delete(cldbid)) throw errors.emptyResultSet();
    }
  },

  servergroupsbyclientid(ctx) {
    ctx.requirePermission('b_virtualserver_servergroup_client_list');
    const server = ctx.server();
    return nonEmpty(
      ctx
        .all('cldbid')
        .flatMap((cldbid) =>
          server.groupsOf(cldbid).map((group) => ({ name: group.name, sgid: group.sgid, cldbid })),
        ),
    );
  },
};
