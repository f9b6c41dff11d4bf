/**
 * Clearances that follow offices: a corporation's CEO holds at least 2, the CEO of an alliance's
 * executor corporation at least 4 (domain `officeFloor`). When ESI shows a new CEO or executor,
 * the new holder is raised to the floor and the former one dropped by `levelAfterOfficeChange`;
 * levels of 9 and above are never touched.
 */
import type { EntityManager } from '@mikro-orm/core';
import { levelAfterOfficeChange, officeFloor } from '../domain/index.ts';
import type { Logger } from '../logger.ts';
import { audit } from '../services/audit.ts';
import { User } from '../store/entities/index.ts';

export interface OfficeFacts {
  readonly corporations: readonly { corporationId: number; ceoCharacterId?: number | null }[];
  readonly alliances: readonly { executorCorporationId?: number | null }[];
}

/** The office floor of every character holding an office, from a snapshot of the directory. */
export function officeFloors(facts: OfficeFacts): Map<number, number> {
  const ceoOf = new Map<number, number>();
  for (const c of facts.corporations) if (c.ceoCharacterId) ceoOf.set(c.corporationId, c.ceoCharacterId);
  const executorCeos = new Set<number>();
  for (const a of facts.alliances) {
    const ceo = a.executorCorporationId ? ceoOf.get(a.executorCorporationId) : undefined;
    if (ceo !== undefined) executorCeos.add(ceo);
  }
  const floors = new Map<number, number>();
  for (const ceo of ceoOf.values()) floors.set(ceo, officeFloor(true, executorCeos.has(ceo)));
  return floors;
}

/** Characters whose floor differs between two snapshots, with both floors. */
export function officeChanges(
  before: Map<number, number>,
  after: Map<number, number>,
): Map<number, { from: number; to: number }> {
  const changes = new Map<number, { from: number; to: number }>();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const from = before.get(id) ?? 0;
    const to = after.get(id) ?? 0;
    if (from !== to) changes.set(id, { from, to });
  }
  return changes;
}

/** Applies office changes to the users holding (or having held) the offices; returns how many levels changed. */
export async function applyOfficeChanges(
  em: EntityManager,
  changes: Map<number, { from: number; to: number }>,
  logger: Logger,
): Promise<number> {
  if (changes.size === 0) return 0;
  const users = await em.find(User, { characterId: { $in: [...changes.keys()] } });
  let changed = 0;
  for (const user of users) {
    const { from, to } = changes.get(user.characterId)!;
    const level = levelAfterOfficeChange(user.clearanceLevel, from, to);
    if (level === user.clearanceLevel) continue;
    logger.info(
      {
        userId: user.id,
        characterId: user.characterId,
        from: user.clearanceLevel,
        to: level,
        officeFloor: { from, to },
      },
      'directory:clearance-by-office',
    );
    audit(em, {
      actorId: null,
      action: 'user.clearance.office',
      subject: `user:${user.id}`,
      before: { clearanceLevel: user.clearanceLevel, officeFloor: from },
      after: { clearanceLevel: level, officeFloor: to },
    });
    user.clearanceLevel = level;
    changed += 1;
  }
  return changed;
}
