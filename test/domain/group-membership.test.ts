import { describe, expect, it } from 'vitest';
import {
  joinPolicies,
  joinRefusal,
  leads,
  listedTo,
  mayLeaveByThemselves,
  type JoinWay,
} from '../../src/domain/index.ts';
import { coalition, corporation, directory, user } from '../support/facts.ts';

const dir = directory({
  users: [
    user('in', { corporationId: 1 }),
    user('out', { corporationId: 2 }),
    user('guest', { clearanceLevel: -1 }),
  ],
  corporations: [corporation(1), corporation(2)],
  coalitions: [coalition('k', { corporationIds: [1] })],
});
const facts = { dir, now: new Date('2026-12-01T00:00:00Z') };
const group = (joinPolicy: (typeof joinPolicies)[number], extra: object = {}) => ({
  name: 'Fleet',
  kind: 'manual',
  joinPolicy,
  eligibility: null,
  ...extra,
});
const ways: JoinWay[] = ['join', 'request', 'link'];

describe('join policies', () => {
  it('lets people in by themselves only the one way each policy allows (closed: none)', () => {
    const allowed = { closed: null, open: 'join', request: 'request', hidden: 'link' } as const;
    for (const policy of joinPolicies) {
      for (const way of ways) {
        const refusal = joinRefusal({
          group: group(policy),
          user: dir.users.get('in')!,
          way,
          isMember: false,
          facts,
        });
        expect([policy, way, refusal?.code ?? null]).toEqual([
          policy,
          way,
          allowed[policy] === way ? null : 'policy',
        ]);
      }
    }
  });

  it('names the eligibility clause someone fails, and refuses guests, members and built groups', () => {
    const eligibility = { all: [{ guest: false }, { coalition: ['k'] }] };
    const c = (userId: string, extra: object = {}) =>
      joinRefusal({
        group: group('open', { eligibility, ...extra }),
        user: dir.users.get(userId)!,
        way: 'join',
        isMember: false,
        facts,
      });
    expect(c('in')).toBeNull();
    expect(c('out')).toMatchObject({
      code: 'not-eligible',
      message: expect.stringMatching(/clause all\[1\]\.coalition/),
    });
    expect(c('guest')?.code).toBe('guest');
    expect(c('in', { kind: 'rule' })?.code).toBe('not-manual');
    expect(
      joinRefusal({ group: group('open'), user: dir.users.get('in')!, way: 'join', isMember: true, facts })
        ?.code,
    ).toBe('already-member');
  });

  it('makes owners, leader users and members of leader groups leaders, nobody else', () => {
    const g = { ownerId: 'o', leaderUserIds: ['l'], leaderGroupIds: ['officers'] };
    const groupsOfUser = new Map([
      ['m', new Set(['officers'])],
      ['x', new Set(['other'])],
    ]);
    expect(['o', 'l', 'm', 'x', 'y'].map((u) => leads(u, g, groupsOfUser))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('hides hidden groups from everyone but their leaders, members and admins; closed groups are left through leaders', () => {
    const viewer = { clearanceLevel: 0, isLeader: false, isMember: false };
    expect(listedTo({ joinPolicy: 'hidden' }, viewer)).toBe(false);
    expect(listedTo({ joinPolicy: 'hidden' }, { ...viewer, isMember: true })).toBe(true);
    expect(listedTo({ joinPolicy: 'hidden' }, { ...viewer, clearanceLevel: 9 })).toBe(true);
    expect(listedTo({ joinPolicy: 'request' }, viewer)).toBe(true);
    expect(joinPolicies.map((p) => mayLeaveByThemselves({ kind: 'manual', joinPolicy: p }))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(mayLeaveByThemselves({ kind: 'auto', joinPolicy: 'open' })).toBe(false);
  });
});
