import type { EntityManager } from '@mikro-orm/core';
import { coalitionsOf, type Affiliation } from '../domain/index.ts';
import { Coalition, Corporation } from './entities/index.ts';

/** One user's (or corporation's) affiliation in three small queries, without loading the directory. */
export async function affiliationFor(
  em: EntityManager,
  subject: { userId: string | null; corporationId: number | null },
): Promise<Affiliation> {
  const corporation =
    subject.corporationId === null
      ? null
      : await em.findOne(Corporation, { corporationId: subject.corporationId }, { fields: ['allianceId'] });
  const allianceId = corporation?.allianceId ?? null;
  const coalitions = await em.find(Coalition, {}, { fields: ['id', 'allianceIds', 'corporationIds'] });
  const facts = coalitions.map((c) => ({
    id: c.id,
    name: '',
    ticker: '',
    allianceIds: c.allianceIds,
    corporationIds: c.corporationIds,
    authorizedToLogin: null,
    mandatoryEsiScopes: [],
  }));
  return {
    userId: subject.userId,
    corporationId: subject.corporationId,
    allianceId,
    coalitionIds: coalitionsOf(subject.corporationId, allianceId, facts).map((c) => c.id),
  };
}
