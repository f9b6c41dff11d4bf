import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';

export const MAX_PAGE = 500;

export const pageInput = z.strictObject({
  cursor: z.string().max(100).nullish(),
  limit: z.number().int().min(1).max(MAX_PAGE).default(100),
});

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Keyset pagination by id: stable under inserts, the same on both drivers. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * One page of an entity by id, newest first (`desc`, for runs whose ids are time-ordered) or
 * oldest first: the one keyset query every list of the control plane uses.
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: { readonly cursor?: string | null | undefined; readonly limit: number },
  order: 'asc' | 'desc' = 'asc',
): Promise<Page<T>> {
  const after = page.cursor ? { id: order === 'asc' ? { $gt: page.cursor } : { $lt: page.cursor } } : {};
  const rows = await em.find(entity, { ...(where as object), ...after } as FilterQuery<T>, {
    orderBy: { id: order } as never,
    limit: page.limit + 1,
  });
  return toPage(rows as T[], page.limit);
}
