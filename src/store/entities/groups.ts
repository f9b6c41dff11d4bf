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
    kind: p.enum(['manual', 'auto', 'rule'] as const),
    /** Identity of an autogroup (`corporation:<id>`, `builtin:superusers`, ...); null for manual groups. */
    autoKey: p.string().length(100).nullable(),
    authorizedToLogin: loginFlag(),
    /** How people get in (closed, open, request, hidden); see domain/group-membership.ts. */
    joinPolicy: p.enum(['closed', 'open', 'request', 'hidden'] as const).onCreate(() => 'closed' as const),
    /** Who may join or ask (a GroupRule); null: everyone who is not a guest. */
    eligibility: p.json<Record<string, unknown>>().nullable().default(null),
    /** The membership rule of a rule-built group (a GroupRule); null for other kinds. */
    rule: p.json<Record<string, unknown>>().nullable().default(null),
    /** SHA-256 of the join link's secret of a hidden group; a new link replaces the old one. */
    joinLinkHash: p.string().length(64).nullable().default(null).hidden(),
    /** Hours a member keeps the group after a notice, before losing it to the rule, an end date or a lost login; null: no notice, at once. */
    removalGraceHours: p.integer().nullable().default(null),
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
    /** The membership ends then (a trial, an event); the rebuild removes it once passed. */
    expiresAt: p.datetime().nullable().default(null),
    createdAt: createdAt(),
  },
});
export type GroupMember = InferEntity<typeof GroupMember>;

/** A leader of a group besides its owner: one user, or every member of another group. */
export const GroupLeader = defineEntity({
  name: 'GroupLeader',
  tableName: 'group_leaders',
  uniques: [{ properties: ['groupId', 'leaderKind', 'leaderId'] }],
  indexes: [{ properties: ['leaderId'] }],
  properties: {
    id: idProperty(),
    groupId: p.string().length(64),
    leaderKind: p.enum(['user', 'group'] as const),
    leaderId: p.string().length(64),
    createdAt: createdAt(),
  },
});
export type GroupLeader = InferEntity<typeof GroupLeader>;

/**
 * A notice given to a member who is about to lose a group (domain/removal-notice.ts): why, and
 * until when. `deliveredTo` lists the targets (`discord:main`) that delivered it.
 */
export const GroupNotice = defineEntity({
  name: 'GroupNotice',
  tableName: 'group_notices',
  uniques: [{ properties: ['groupId', 'userId'] }],
  indexes: [{ properties: ['userId'] }],
  properties: {
    id: idProperty(),
    groupId: p.string().length(64),
    userId: p.string().length(64),
    reason: p.enum(['rule', 'expiry', 'login'] as const),
    detail: p.text(),
    removeAt: p.datetime(),
    deliveredTo: p.json<string[]>(),
    createdAt: createdAt(),
  },
});
export type GroupNotice = InferEntity<typeof GroupNotice>;

/** A request to join a `request` group, and the leader's answer. */
export const GroupRequest = defineEntity({
  name: 'GroupRequest',
  tableName: 'group_requests',
  indexes: [{ properties: ['groupId', 'status'] }, { properties: ['userId'] }],
  properties: {
    id: idProperty(),
    groupId: p.string().length(64),
    userId: p.string().length(64),
    status: p.enum(['pending', 'approved', 'denied', 'withdrawn'] as const),
    /** What the member wrote with the request. */
    message: p.text(),
    decidedBy: p.string().length(64).nullable(),
    /** The leader's reason, shown to the member. */
    decisionReason: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
export type GroupRequest = InferEntity<typeof GroupRequest>;

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
