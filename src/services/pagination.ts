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
