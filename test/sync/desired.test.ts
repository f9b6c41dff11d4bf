import { describe, expect, it } from 'vitest';
import { desiredState, nameLimits, type MappingFacts } from '../../src/sync/desired.ts';
import { alliance, corporation, directory, group, user } from '../support/facts.ts';

const dir = directory({
  corporations: [
    corporation(1, { ticker: 'AAA', allianceId: 10, authorizedToLogin: true }),
    corporation(2, { ticker: 'BBB' }),
  ],
  alliances: [alliance(10, { ticker: 'ALLY' })],
  users: [
    user('u1', { corporationId: 1, characterName: 'Alice' }),
    user('u2', { corporationId: 1, characterName: 'Bob', authorizedToLogin: false }),
    user('u3', { corporationId: 2, characterName: 'Carol', authorizedToLogin: true }),
    user('u4', { corporationId: 1, characterName: 'Dave' }),
    user('u5', {
      corporationId: null,
      characterName: 'A very long character name indeed',
      authorizedToLogin: true,
    }),
  ],
  groups: [
    group('g1', { name: 'Fleet Commanders' }),
    group('g2', { name: 'A group with a name far longer than thirty characters, one' }),
    group('g3', { name: 'A group with a name far longer than thirty characters, two' }),
  ],
});

const mapping = (id: string, groupId: string, fields: Partial<MappingFacts> = {}): MappingFacts => ({
  id,
  groupId,
  platformGroupId: null,
  displayName: null,
  mode: 'managed',
  ...fields,
});

describe('desiredState', () => {
  const accounts = new Map([
    ['u1', '101'],
    ['u2', '102'],
    ['u3', '103'],
    ['u5', '105'],
    ['gone', '199'],
  ]);
  const members = new Map([
    ['g1', ['u1', 'u2', 'u3', 'u4', 'gone']],
    ['g2', ['u1']],
    ['g3', ['u3', 'u5']],
  ]);

  it('wants the linked accounts of the members who may log in, and nobody else', () => {
    const state = desiredState('teamspeak', dir, [mapping('m1', 'g1')], accounts, members);
    // u2 may not log in, u4 is not linked, "gone" (linked) is not in the directory.
    expect([...state.groups[0]!.members].sort()).toEqual(['101', '103']);
    expect(state.login.get('u2')).toEqual({ allowed: false, reason: 'denied', by: 'user' });
    expect(state.login.get('gone')).toEqual({ allowed: false, reason: 'not-authorized' });
  });

  it('keeps the mapping’s id, mode and tracked platform id', () => {
    const state = desiredState(
      'teamspeak',
      dir,
      [mapping('m1', 'g1', { platformGroupId: '77', mode: 'grantOnly' })],
      accounts,
      members,
    );
    expect(state.groups[0]).toMatchObject({
      mappingId: 'm1',
      groupId: 'g1',
      groupName: 'Fleet Commanders',
      platformGroupId: '77',
      mode: 'grantOnly',
    });
  });

  it('names platform groups by display name or group name, cut to the platform limit and unique', () => {
    const mappings = [mapping('m1', 'g1', { displayName: 'FC' }), mapping('m2', 'g2'), mapping('m3', 'g3')];
    const ts = desiredState('teamspeak', dir, mappings, accounts, members);
    expect(ts.groups.map((g) => g.displayName)).toEqual([
      'FC',
      'A group with a name far longe…',
      'A group with a name far lon… 2',
    ]);
    for (const g of ts.groups)
      expect([...g.displayName].length).toBeLessThanOrEqual(nameLimits.teamspeak.group);
    const discord = desiredState('discord', dir, mappings, accounts, members);
    expect(discord.groups.map((g) => g.displayName)).toEqual([
      'FC',
      'A group with a name far longer than thirty characters, one',
      'A group with a name far longer than thirty characters, two',
    ]);
  });

  it('wants each allowed, linked user’s tickered name as nickname, cut to the limit', () => {
    const state = desiredState('teamspeak', dir, [mapping('m1', 'g1')], accounts, members);
    expect(Object.fromEntries(state.nicknames)).toEqual({
      '101': '[ALLY] Alice',
      '103': '[BBB] Carol',
      '105': 'A very long character name in…',
    });
  });
});
