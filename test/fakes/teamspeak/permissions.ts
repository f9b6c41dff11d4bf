/**
 * The permissions the fake checks, with stable numeric ids (the real server reports a failed
 * permission as `failed_permid=<number>`). Only the query account's own permissions are modelled:
 * every permission is granted unless the test denies it by name.
 */
export const permissionNames = [
  'b_serverinstance_version_view',
  'b_virtualserver_select',
  'b_virtualserver_info_view',
  'b_virtualserver_client_list',
  'b_virtualserver_client_dblist',
  'b_virtualserver_client_dbinfo',
  'b_virtualserver_servergroup_list',
  'b_virtualserver_servergroup_client_list',
  'b_virtualserver_servergroup_create',
  'b_virtualserver_servergroup_delete',
  'i_group_modify_power',
  'i_group_member_add_power',
  'i_group_member_remove_power',
  'b_client_info_view',
  'b_client_permissionoverview_own',
  'i_client_private_textmessage_power',
  'b_client_server_textmessage_send',
  'b_client_channel_textmessage_send',
  'b_client_modify_own_description',
  'b_client_custom_info_view',
] as const;

export type PermissionName = (typeof permissionNames)[number];

const BASE_ID = 8400;

export function permissionId(name: string): number | null {
  const index = (permissionNames as readonly string[]).indexOf(name);
  return index === -1 ? null : BASE_ID + index;
}

export function permissionName(id: number): string | null {
  return permissionNames[id - BASE_ID] ?? null;
}

/** Value a granted permission reports through `permget` (powers are numbers, booleans 1). */
export function grantedValue(name: string): number {
  return name.startsWith('i_') ? 75 : 1;
}
