import type { EntityManager } from '@mikro-orm/core';
import {
  type Alliance,
  Coalition,
  type Corporation,
  Group,
  GroupLeader,
  GroupMapping,
  GroupMember,
  TeamspeakLink,
  type User,
} from '../../src/store/entities/index.ts';
import { newId } from '../../src/crypto.ts';
import { newAlliance, newCorporation, newUser } from '../../src/store/records.ts';

/** Row builders with every field spelled out; call them on one fork, then flush it. */

let nextCharacterId = 2_100_000_000;
/** A character id no other row of this test process uses. */
export const freshCharacterId = () => nextCharacterId++;

export const addCorporation = (em: EntityManager, corporationId: number, fields: Partial<Corporation> = {}) =>
  newCorporation(em, {
    corporationId,
    name: `Corporation ${corporationId}`,
    ticker: `C${corporationId % 100_000}`,
    ...fields,
  });

export const addAlliance = (em: EntityManager, allianceId: number, fields: Partial<Alliance> = {}) =>
  newAlliance(em, {
    allianceId,
    name: `Alliance ${allianceId}`,
    ticker: `A${allianceId % 100_000}`,
    ...fields,
  });

export const addCoalition = (em: EntityManager, name: string, fields: Partial<Coalition> = {}) =>
  em.create(Coalition, {
    id: newId(),
    name,
    ticker: name.slice(0, 10).toUpperCase(),
    description: '',
    allianceIds: [],
    corporationIds: [],
    authorizedToLogin: null,
    mandatoryEsiScopes: [],
    ...fields,
  });

export const addUser = (em: EntityManager, characterName: string, fields: Partial<User> = {}) =>
  newUser(em, { characterId: freshCharacterId(), characterName, ...fields });

export const addGroup = (
  em: EntityManager,
  name: string,
  memberIds: readonly string[] = [],
  fields: Partial<Group> = {},
) => {
  const group = em.create(Group, {
    id: newId(),
    name,
    description: '',
    ownerId: null,
    kind: 'manual',
    autoKey: null,
    authorizedToLogin: null,
    ...fields,
  });
  for (const userId of memberIds) addMember(em, group.id, userId);
  return group;
};

export const addMember = (
  em: EntityManager,
  groupId: string,
  userId: string,
  fields: Partial<GroupMember> = {},
) => em.create(GroupMember, { id: newId(), groupId, userId, ...fields });

/** A leader of the group: a user, or (kind 'group') every member of another group. */
export const addLeader = (
  em: EntityManager,
  groupId: string,
  leaderId: string,
  leaderKind: 'user' | 'group' = 'user',
) => em.create(GroupLeader, { id: newId(), groupId, leaderKind, leaderId });

export const addMapping = (
  em: EntityManager,
  groupId: string,
  platform: 'teamspeak' | 'discord',
  target: string,
  fields: Partial<GroupMapping> = {},
) =>
  em.create(GroupMapping, {
    id: newId(),
    groupId,
    platform,
    target,
    platformGroupId: null,
    displayName: null,
    mode: 'managed',
    ...fields,
  });

export const addTeamspeakLink = (em: EntityManager, userId: string, target: string, clientDbId: string) =>
  em.create(TeamspeakLink, {
    id: newId(),
    userId,
    target,
    clientDbId,
    uniqueId: `uid-${target}-${clientDbId}=`,
  });
