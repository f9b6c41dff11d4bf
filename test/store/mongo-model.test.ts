import type { EntityMetadata } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Group, User, entities } from '../../src/store/entities/index.ts';
import { RosterMongoNamingStrategy } from '../../src/store/orm.ts';

/**
 * The MongoDB side of the one entity model, checked without a server (connect: false): what
 * MikroORM would send to MongoDB is decided by this metadata. The queries themselves run against
 * MongoDB only where MONGODB_URL is set (test/support/database.ts).
 */
describe('entity model on MongoDB (metadata only: MikroORM connects lazily, nothing is sent)', () => {
  let orm: MikroORM;
  beforeAll(async () => {
    orm = await MikroORM.init({
      entities,
      clientUrl: 'mongodb://127.0.0.1:1/roster',
      namingStrategy: RosterMongoNamingStrategy,
      implicitTransactions: false,
    });
  });
  afterAll(async () => orm?.close());

  /** Every entity's metadata (getAll() is a Map in MikroORM 7). */
  const all = (): EntityMetadata[] => {
    const metas = orm.getMetadata().getAll() as unknown;
    return metas instanceof Map
      ? [...(metas.values() as Iterable<EntityMetadata>)]
      : Object.values(metas as Record<string, EntityMetadata>);
  };

  it('sees all the entities', () => {
    expect(
      all()
        .map((m) => m.className)
        .sort(),
    ).toEqual(entities.map((e) => e.meta.className).sort());
  });

  it('maps every primary key `id` to `_id`', () => {
    for (const meta of all()) {
      expect([meta.className, meta.primaryKeys]).toEqual([meta.className, ['id']]);
      expect([meta.className, meta.properties.id!.fieldNames]).toEqual([meta.className, ['_id']]);
    }
  });

  it('never puts a plain unique index on a nullable field (MongoDB would let only one null in)', () => {
    for (const meta of all()) {
      for (const prop of Object.values(meta.properties)) {
        if (prop.unique)
          expect([meta.className, prop.name, prop.nullable ?? false]).toEqual([
            meta.className,
            prop.name,
            false,
          ]);
      }
      for (const unique of meta.uniques) {
        const props = [unique.properties ?? []].flat() as string[];
        const nullable = props.filter((p) => meta.properties[p]?.nullable);
        if (nullable.length) {
          const filter = (unique.options as { partialFilterExpression?: Record<string, unknown> } | undefined)
            ?.partialFilterExpression;
          expect([meta.className, Object.keys(filter ?? {}).sort()]).toEqual([
            meta.className,
            nullable.sort(),
          ]);
        }
      }
    }
  });

  it('keeps the linked Discord account and autogroup keys unique where set', () => {
    const users = orm.getMetadata().get(User);
    expect(users.uniques).toContainEqual(
      expect.objectContaining({
        properties: ['discordUserId'],
        options: { partialFilterExpression: { discordUserId: { $type: 'string' } } },
      }),
    );
    expect(orm.getMetadata().get(Group).uniques).toContainEqual(
      expect.objectContaining({ properties: ['autoKey'] }),
    );
  });
});
