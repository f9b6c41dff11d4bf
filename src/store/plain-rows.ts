import type { EntityKey, EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';

/**
 * Rows of one entity as plain objects with only `fields`, for reads of whole tables that write
 * nothing (the directory, memberships, links, on every sync run): no entity, no identity map, no
 * change-tracking snapshot. Loaded as entities, 10,000 users and 100,000 memberships keep about
 * 100 MB in their fork until it is dropped, and take several times longer to hydrate.
 *
 * The values go through the properties' types as hydration does (a `bigint` column read as a
 * string becomes a number), on every driver. Runs in `em`'s transaction, if it has one.
 */
export async function plainRows<T extends object, const F extends EntityKey<T>>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<NoInfer<T>>,
  fields: readonly F[],
): Promise<Pick<T, F>[]> {
  const meta = em.getMetadata().get(entity);
  const platform = em.getPlatform();
  const rows = (await em.getDriver().find(entity, where, {
    fields: [...fields] as never,
    ctx: em.getTransactionContext(),
  })) as Record<string, unknown>[];
  const typed = fields.flatMap((field) => {
    const type = meta.properties[field]?.customType;
    return type ? [[field, type] as const] : [];
  });
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const field of fields) out[field] = row[field];
    for (const [field, type] of typed)
      if (out[field] !== null && out[field] !== undefined)
        out[field] = type.convertToJSValue(out[field], platform);
    return out as Pick<T, F>;
  });
}
