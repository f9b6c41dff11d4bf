import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAt, idProperty, loginFlag, updatedAt } from './common.ts';

export const Group = defineEntity({
  name: 'Group',
  tableName: 'groups',
  uniques: [
    {
      name: 'groups_auto_key_unique',
      properties: ['autoKey'],
      options: { partialFilterExpression: { autoKey: { $type: 'string' } } },
    },
  ],
  properties: {
    id: idProperty(),
    name: p.string().length(100).unique(),
    description: p.text(),
    ownerId: p.string().length(64).nullable(),
    kind: p.enum(['manual', 'auto'] as const),
    /** Identity of an autogroup (`corporation:<id>`, `builtin:superusers`, ...); null for manual groups. */
    autoKey: p.string().length(100).nullable(),
    authorizedToLogin: loginFlag(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type Group = InferEntity<typeof Group>;

export const GroupMember = defineEntity({
  name: 'GroupMember',
  tableName: 'group_members',
  uniques: [{ properties: ['groupId', 'userId'] }],
  properties: {
    id: idProperty(),
    groupId: p.string().length(64),
    userId: p.string().length(64).index(),
    createdAt: createdAt(),
  },
});
export type GroupMember = InferEntity<typeof GroupMember>;

/**
 * A group mapped onto one platform target. The platform group is tracked by id once known;
 * `displayName` (default: the group's name) is what the platform shows.
 */
export const GroupMapping = defineEntity({
  name: 'GroupMapping',
  tableName: 'group_mappings',
  uniques: [{ properties: ['groupId', 'platform', 'target'] }],
  indexes: [{ properties: ['platform', 'target'] }],
  properties: {
    id: idProperty(),
    groupId: p.string().length(64),
    platform: p.enum(['teamspeak', 'discord'] as const),
    target: p.string().length(64),
    platformGroupId: p.string().length(32).nullable(),
    displayName: p.string().length(100).nullable(),
    mode: p.enum(['managed', 'grantOnly'] as const),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type GroupMapping = InferEntity<typeof GroupMapping>;
