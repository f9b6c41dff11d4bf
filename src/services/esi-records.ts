/**
 * Corporation and alliance records made from ESI replies: by the ESI refresh jobs (directory/) and
 * by the EVE SSO login, which saves the corporation and alliance of a character it let in.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { EsiAlliance, EsiCorporation } from '../esi/schemas.ts';
import type { Alliance, Corporation } from '../store/entities/index.ts';
import { newAlliance, newCorporation } from '../store/records.ts';

export function createCorporationRecord(em: EntityManager, c: EsiCorporation, tracked: boolean): Corporation {
  return newCorporation(em, {
    corporationId: c.corporationId,
    name: c.name,
    ticker: c.ticker,
    ceoCharacterId: c.ceoCharacterId,
    allianceId: c.allianceId,
    tracked,
    refreshedAt: new Date(),
  });
}

export function createAllianceRecord(em: EntityManager, a: EsiAlliance, tracked: boolean): Alliance {
  return newAlliance(em, {
    allianceId: a.allianceId,
    name: a.name,
    ticker: a.ticker,
    executorCorporationId: a.executorCorporationId,
    tracked,
    refreshedAt: new Date(),
  });
}
