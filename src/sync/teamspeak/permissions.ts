/**
 * The ServerQuery permissions Roster needs, and the start-up check that names the missing ones
 * (operators of the old tools were told to "grant it all permissions"). The check asks the
 * server with `permget` about the query client's own connection: one command for the whole list,
 * one per permission only if the server refuses the batched form.
 */
import { QueryErrorId, errorId } from './errors.ts';
import type { QueryEntry, QueryOptions } from './connection.ts';

export type Exec = (command: string, options?: QueryOptions, flags?: string[]) => Promise<QueryEntry[]>;

/** Permission name -> what Roster does with it (for the operator's documentation and logs). */
export const requiredPermissions = {
  b_virtualserver_servergroup_list: 'list server groups (servergrouplist)',
  b_virtualserver_servergroup_create: 'create server groups (servergroupadd)',
  i_group_modify_power: 'rename server groups (servergrouprename)',
  b_virtualserver_servergroup_delete: 'delete server groups on request (servergroupdel)',
  b_virtualserver_servergroup_client_list: 'read server group members (servergroupclientlist)',
  i_group_member_add_power: 'add clients to server groups (servergroupaddclient)',
  i_group_member_remove_power: 'remove clients from server groups (servergroupdelclient)',
  b_virtualserver_client_list: 'list online clients (clientlist)',
  b_virtualserver_client_dblist: 'list known clients (clientdblist)',
  b_client_info_view: 'read client details (clientinfo)',
  i_client_private_textmessage_power: 'message clients about their nickname (sendtextmessage)',
} as const satisfies Record<string, string>;

export type RequiredPermission = keyof typeof requiredPermissions;

/** Needed to run the check itself. */
export const PERMISSION_CHECK_PERMISSION = 'b_client_permissionoverview_own';

const names = Object.keys(requiredPermissions) as RequiredPermission[];

function granted(entries: readonly QueryEntry[]): Set<string> {
  const ok = new Set<string>();
  for (const entry of entries) {
    if (typeof entry['permsid'] === 'string' && Number(entry['permvalue']) > 0) ok.add(entry['permsid']);
  }
  return ok;
}

/** The server's numeric ids of the permissions it reported (`permid`), to name them in errors. */
function idsOf(entries: readonly QueryEntry[], into: Map<number, string>): void {
  for (const entry of entries) {
    const id = Number(entry['permid']);
    if (typeof entry['permsid'] === 'string' && Number.isInteger(id)) into.set(id, entry['permsid']);
  }
}

export interface PermissionCheck {
  /** Required permissions the query client lacks (empty when all are granted). */
  readonly missing: string[];
  /** Permission names by the server's numeric id, as far as the check learned them. */
  readonly names: ReadonlyMap<number, string>;
}

/**
 * Names of the required permissions the query client lacks (empty when all are granted).
 * Throws only for connection errors.
 */
export async function findMissingPermissions(exec: Exec): Promise<string[]> {
  return (await checkPermissions(exec)).missing;
}

/** The permission check: what is missing, and the names of the permission ids the server uses. */
export async function checkPermissions(exec: Exec): Promise<PermissionCheck> {
  const ids = new Map<number, string>();
  try {
    const entries = await exec('permget', { permsid: names });
    idsOf(entries, ids);
    const ok = granted(entries);
    return { missing: names.filter((name) => !ok.has(name)), names: ids };
  } catch (err) {
    const id = errorId(err);
    if (id === null) throw err;
    if (id === QueryErrorId.insufficientPermissions)
      return { missing: [PERMISSION_CHECK_PERMISSION], names: ids };
  }
  // The batched form was refused (an older server, or one name it does not know): ask one by one.
  const missing: string[] = [];
  for (const name of names) {
    try {
      const entries = await exec('permget', { permsid: name });
      idsOf(entries, ids);
      if (!granted(entries).has(name)) missing.push(name);
    } catch (err) {
      const id = errorId(err);
      if (id === null) throw err;
      if (id !== QueryErrorId.invalidPermission) missing.push(name);
    }
  }
  return { missing, names: ids };
}

/** What a permission is for, e.g. `b_virtualserver_servergroup_create (create server groups (servergroupadd))`. */
export function describePermission(name: string): string {
  const why = (requiredPermissions as Record<string, string>)[name];
  return why ? `${name} (${why})` : name;
}

export function describeMissing(missing: readonly string[]): string {
  return missing
    .map(
      (name) =>
        `${name} (${(requiredPermissions as Record<string, string>)[name] ?? 'run the permission check'})`,
    )
    .join(', ');
}
