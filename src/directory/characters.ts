/**
 * Many characters at once, by id or exact name, in ESI's bulk calls: names through
 * `POST /universe/ids/` (500 a call), the current corporation and alliance through
 * `POST /characters/affiliation/` (1,000 a call), and the names of characters given by id through
 * `POST /universe/names/` (1,000 a call). 10,000 characters cost at most 20 + 10 + 10 calls.
 */
import type { EsiClient } from '../esi/client.ts';
import type { CharacterLookup, ResolvedCharacter } from '../services/directory-esi.ts';

export async function resolveCharacters(
  esi: EsiClient,
  input: { readonly ids?: readonly number[]; readonly names?: readonly string[] },
): Promise<CharacterLookup> {
  const names = [...new Set((input.names ?? []).map((n) => n.trim()).filter((n) => n.length > 0))];
  const matched = names.length ? (await esi.resolveIds(names)).characters : [];
  const nameOf = new Map(matched.map((c) => [c.id, c.name]));
  const matchedNames = new Set(matched.map((c) => c.name.toLowerCase()));
  const unknownNames = names.filter((n) => !matchedNames.has(n.toLowerCase()));

  const ids = [...new Set([...(input.ids ?? []), ...nameOf.keys()])];
  const affiliations = ids.length ? await esi.getAffiliations(ids) : [];
  const known = new Set(affiliations.map((a) => a.characterId));
  const unknownIds = (input.ids ?? []).filter((id) => !known.has(id));
  const unnamed = [...known].filter((id) => !nameOf.has(id));
  for (const n of unnamed.length ? await esi.getNames(unnamed) : []) {
    if (n.category === 'character') nameOf.set(n.id, n.name);
  }
  const characters: ResolvedCharacter[] = affiliations.flatMap((a) => {
    const name = nameOf.get(a.characterId);
    return name === undefined
      ? []
      : [{ characterId: a.characterId, name, corporationId: a.corporationId, allianceId: a.allianceId }];
  });
  return { characters, unknownIds: [...new Set(unknownIds)], unknownNames };
}
