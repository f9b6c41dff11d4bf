/**
 * The fake ESI's world: characters, corporations and alliances, the controls tests use to seed
 * and change it, and its rendering as ESI's JSON shapes (snake_case, optional alliance ids).
 * A character's alliance follows its corporation's, as in EVE.
 */

export interface FakeCharacter {
  id: number;
  name: string;
  corporationId: number;
  birthday?: string;
  securityStatus?: number;
  /** A deleted character answers 404 "Character has been deleted!". */
  deleted?: boolean;
}

export interface FakeCorporation {
  id: number;
  name: string;
  ticker: string;
  ceoId: number;
  allianceId?: number | null;
  /** Overrides the count of seeded members in `member_count`. */
  memberCount?: number;
  /** Characters with the Director role (the CEO always has it). */
  directorIds?: number[];
}

export interface FakeAlliance {
  id: number;
  name: string;
  ticker: string;
  executorCorporationId?: number | null;
}

export interface UniverseSeed {
  alliances?: FakeAlliance[];
  corporations?: FakeCorporation[];
  characters?: FakeCharacter[];
}

export type Universe = ReturnType<typeof createUniverse>;

export function createUniverse() {
  const characters = new Map<number, FakeCharacter>();
  const corporations = new Map<number, FakeCorporation>();
  const alliances = new Map<number, FakeAlliance>();

  const must = <T>(map: Map<number, T>, id: number, kind: string): T => {
    const value = map.get(id);
    if (value === undefined) throw new Error(`fake ESI: no ${kind} ${id}`);
    return value;
  };
  const membersOf = (corporationId: number): number[] =>
    [...characters.values()]
      .filter((c) => c.corporationId === corporationId && !c.deleted)
      .map((c) => c.id)
      .sort((a, b) => a - b);

  return {
    characters,
    corporations,
    alliances,

    seed(seed: UniverseSeed): void {
      for (const a of seed.alliances ?? []) alliances.set(a.id, { ...a });
      for (const c of seed.corporations ?? []) corporations.set(c.id, { ...c });
      for (const c of seed.characters ?? []) characters.set(c.id, { ...c });
    },
    /**
     * Seeds `characters` characters spread over generated corporations and alliances, with ids
     * away from hand-written seeds (characters from 2,112,000,001; corporations from 98,600,001;
     * alliances from 99,600,001). Character i is in corporation i mod n, whose CEO is character i.
     */
    seedGenerated(counts: { characters: number; corporations?: number; alliances?: number }): number[] {
      const [charBase, corpBase, allianceBase] = [2_112_000_001, 98_600_001, 99_600_001];
      const corpCount = counts.corporations ?? Math.max(1, Math.ceil(counts.characters / 50));
      const allianceCount = counts.alliances ?? Math.max(1, Math.ceil(corpCount / 10));
      for (let i = 0; i < allianceCount; i += 1) {
        const id = allianceBase + i;
        alliances.set(id, {
          id,
          name: `Alliance ${i}`,
          ticker: `A${i}`,
          executorCorporationId: corpBase + i,
        });
      }
      for (let i = 0; i < corpCount; i += 1) {
        const id = corpBase + i;
        corporations.set(id, {
          id,
          name: `Corporation ${i}`,
          ticker: `C${i}`,
          ceoId: charBase + i,
          allianceId: allianceBase + (i % allianceCount),
        });
      }
      const ids: number[] = [];
      for (let i = 0; i < counts.characters; i += 1) {
        const id = charBase + i;
        characters.set(id, { id, name: `Pilot ${i}`, corporationId: corpBase + (i % corpCount) });
        ids.push(id);
      }
      return ids;
    },
    moveCharacter(characterId: number, corporationId: number): void {
      must(characters, characterId, 'character').corporationId = corporationId;
    },
    deleteCharacter(characterId: number): void {
      must(characters, characterId, 'character').deleted = true;
    },
    setCeo(corporationId: number, ceoId: number): void {
      must(corporations, corporationId, 'corporation').ceoId = ceoId;
    },
    setCorporationAlliance(corporationId: number, allianceId: number | null): void {
      must(corporations, corporationId, 'corporation').allianceId = allianceId;
    },
    setExecutor(allianceId: number, corporationId: number | null): void {
      must(alliances, allianceId, 'alliance').executorCorporationId = corporationId;
    },
    setDirector(corporationId: number, characterId: number, director: boolean): void {
      const corp = must(corporations, corporationId, 'corporation');
      const rest = (corp.directorIds ?? []).filter((id) => id !== characterId);
      corp.directorIds = director ? [...rest, characterId] : rest;
    },
    updateCharacter: (id: number, patch: Partial<Omit<FakeCharacter, 'id'>>) =>
      Object.assign(must(characters, id, 'character'), patch),
    updateCorporation: (id: number, patch: Partial<Omit<FakeCorporation, 'id'>>) =>
      Object.assign(must(corporations, id, 'corporation'), patch),
    updateAlliance: (id: number, patch: Partial<Omit<FakeAlliance, 'id'>>) =>
      Object.assign(must(alliances, id, 'alliance'), patch),

    membersOf,
    isDirector(corporationId: number, characterId: number): boolean {
      const corp = corporations.get(corporationId);
      if (!corp) return false;
      return corp.ceoId === characterId || (corp.directorIds ?? []).includes(characterId);
    },
    allianceOf(corporationId: number): number | undefined {
      return corporations.get(corporationId)?.allianceId ?? undefined;
    },
  };
}

/** ESI's JSON for `GET /characters/{id}/`. */
export function renderCharacter(u: Universe, c: FakeCharacter): Record<string, unknown> {
  const allianceId = u.allianceOf(c.corporationId);
  return {
    ...(allianceId === undefined ? {} : { alliance_id: allianceId }),
    birthday: c.birthday ?? '2015-03-24T11:37:00Z',
    bloodline_id: 3,
    corporation_id: c.corporationId,
    gender: 'female',
    name: c.name,
    race_id: 2,
    security_status: c.securityStatus ?? 0.5,
  };
}

export function renderCorporation(u: Universe, c: FakeCorporation): Record<string, unknown> {
  return {
    ...(c.allianceId ? { alliance_id: c.allianceId } : {}),
    ceo_id: c.ceoId,
    creator_id: c.ceoId,
    date_founded: '2010-01-01T00:00:00Z',
    member_count: c.memberCount ?? u.membersOf(c.id).length,
    name: c.name,
    tax_rate: 0.1,
    ticker: c.ticker,
  };
}

export function renderAlliance(a: FakeAlliance): Record<string, unknown> {
  return {
    creator_corporation_id: a.executorCorporationId ?? 1_000_001,
    creator_id: 90_000_000,
    date_founded: '2012-01-01T00:00:00Z',
    ...(a.executorCorporationId ? { executor_corporation_id: a.executorCorporationId } : {}),
    name: a.name,
    ticker: a.ticker,
  };
}

export function renderAffiliation(u: Universe, c: FakeCharacter): Record<string, unknown> {
  const allianceId = u.allianceOf(c.corporationId);
  return {
    character_id: c.id,
    corporation_id: c.corporationId,
    ...(allianceId === undefined ? {} : { alliance_id: allianceId }),
  };
}
