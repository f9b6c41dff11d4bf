import { describe, expect, it } from 'vitest';
import {
  affiliationOf,
  affiliationOfCorporation,
  allianceIdOf,
  coalitionsOf,
  distance,
  mandatoryEsiScopes,
  mandatoryEsiScopesOfUser,
} from '../../src/domain/index.ts';
import { alliance, coalition, corporation, directory, user } from '../support/facts.ts';

/**
 * Corporations 1 and 2 in alliance 10; 3 in alliance 20; 4 alone; 5 alone and a direct member of
 * coalition k. Coalition k: alliance 10 and corporation 5. Coalition j: alliances 10 and 20.
 */
const dir = directory({
  corporations: [
    corporation(1, {
      allianceId: 10,
      mandatoryEsiScopes: ['esi-mail.read_mail.v1', 'esi-skills.read_skills.v1'],
    }),
    corporation(2, { allianceId: 10 }),
    corporation(3, { allianceId: 20 }),
    corporation(4),
    corporation(5, { mandatoryEsiScopes: ['esi-wallet.read_character_wallet.v1'] }),
  ],
  alliances: [
    alliance(10, { mandatoryEsiScopes: ['esi-skills.read_skills.v1', 'esi-assets.read_assets.v1'] }),
    alliance(20),
  ],
  coalitions: [
    coalition('k', {
      allianceIds: [10],
      corporationIds: [5],
      mandatoryEsiScopes: ['esi-location.read_location.v1'],
    }),
    coalition('j', {
      allianceIds: [10, 20],
      mandatoryEsiScopes: ['esi-assets.read_assets.v1', 'esi-clones.read_clones.v1'],
    }),
  ],
  users: [
    user('a', { corporationId: 1 }),
    user('b', { corporationId: 1 }),
    user('c', { corporationId: 2 }),
    user('d', { corporationId: 3 }),
    user('e', { corporationId: 4 }),
    user('f', { corporationId: 5 }),
    user('g', { corporationId: null }),
    user('h', { corporationId: null }),
    user('z', { corporationId: 999 }),
  ],
});
const of = (id: string) => affiliationOf(dir.users.get(id)!, dir);

describe('affiliation', () => {
  it('finds the alliance through the corporation', () => {
    expect(allianceIdOf(1, dir)).toBe(10);
    expect(allianceIdOf(4, dir)).toBeNull();
    expect(allianceIdOf(null, dir)).toBeNull();
    expect(allianceIdOf(999, dir)).toBeNull();
  });

  it('finds coalitions through alliances and through direct corporation membership', () => {
    expect(coalitionsOf(1, 10, dir.coalitions).map((c) => c.id)).toEqual(['k', 'j']);
    expect(coalitionsOf(3, 20, dir.coalitions).map((c) => c.id)).toEqual(['j']);
    expect(coalitionsOf(5, null, dir.coalitions).map((c) => c.id)).toEqual(['k']);
    expect(coalitionsOf(4, null, dir.coalitions)).toEqual([]);
    expect(coalitionsOf(null, null, dir.coalitions)).toEqual([]);
    expect(of('f')).toEqual({ userId: 'f', corporationId: 5, allianceId: null, coalitionIds: ['k'] });
    expect(of('a')).toEqual({ userId: 'a', corporationId: 1, allianceId: 10, coalitionIds: ['k', 'j'] });
    expect(affiliationOfCorporation(3, dir)).toEqual({
      userId: null,
      corporationId: 3,
      allianceId: 20,
      coalitionIds: ['j'],
    });
    expect(of('z')).toEqual({ userId: 'z', corporationId: 999, allianceId: null, coalitionIds: [] });
  });

  it('measures distance 0 same user, 1 corporation, 3 alliance, 5 coalition, 7 none', () => {
    expect(distance(of('a'), of('a'))).toBe(0);
    expect(distance(of('a'), of('b'))).toBe(1);
    expect(distance(of('a'), of('c'))).toBe(3);
    expect(distance(of('a'), of('d'))).toBe(5); // through coalition j
    expect(distance(of('a'), of('f'))).toBe(5); // through coalition k, f's corporation being a direct member
    expect(distance(of('f'), of('a'))).toBe(5);
    expect(distance(of('a'), of('e'))).toBe(7);
    expect(distance(of('d'), of('f'))).toBe(7);
    expect(distance(of('a'), affiliationOfCorporation(1, dir))).toBe(1);
    expect(distance(of('a'), affiliationOfCorporation(3, dir))).toBe(5);
  });

  it('never treats "no corporation" or "no alliance" as shared', () => {
    expect(distance(of('g'), of('h'))).toBe(7);
    expect(distance(of('e'), of('f'))).toBe(7); // both without alliance
    const nobody = { userId: null, corporationId: null, allianceId: null, coalitionIds: [] };
    expect(distance(nobody, nobody)).toBe(7);
  });

  it('is symmetric', () => {
    const ids = [...dir.users.keys()];
    for (const x of ids) for (const y of ids) expect(distance(of(x), of(y))).toBe(distance(of(y), of(x)));
  });
});

describe('mandatory ESI scopes', () => {
  it('are the sorted union over corporation, alliance and every coalition', () => {
    expect(mandatoryEsiScopesOfUser(dir.users.get('a')!, dir)).toEqual([
      'esi-assets.read_assets.v1',
      'esi-clones.read_clones.v1',
      'esi-location.read_location.v1',
      'esi-mail.read_mail.v1',
      'esi-skills.read_skills.v1',
    ]);
  });

  it('include those of a coalition the corporation belongs to directly', () => {
    expect(mandatoryEsiScopesOfUser(dir.users.get('f')!, dir)).toEqual([
      'esi-location.read_location.v1',
      'esi-wallet.read_character_wallet.v1',
    ]);
  });

  it('hold a guest (whose corporation is the host) only to the guests’ scopes, not the host’s', () => {
    const guest = { ...dir.users.get('a')!, clearanceLevel: -1 };
    expect(mandatoryEsiScopesOfUser(guest, dir)).toEqual([]);
    expect(mandatoryEsiScopesOfUser(guest, dir, ['publicData', 'esi-skills.read_skills.v1'])).toEqual([
      'esi-skills.read_skills.v1',
      'publicData',
    ]);
    // Members are not held to the guests' scopes.
    expect(mandatoryEsiScopesOfUser(dir.users.get('g')!, dir, ['publicData'])).toEqual([]);
  });

  it('are empty without a corporation, and work on missing parts', () => {
    expect(mandatoryEsiScopesOfUser(dir.users.get('g')!, dir)).toEqual([]);
    expect(mandatoryEsiScopesOfUser(dir.users.get('z')!, dir)).toEqual([]);
    expect(mandatoryEsiScopes(undefined, undefined, [])).toEqual([]);
    expect(
      mandatoryEsiScopes(corporation(1, { mandatoryEsiScopes: ['b', 'a', 'b'] }), undefined, []),
    ).toEqual(['a', 'b']);
  });
});
