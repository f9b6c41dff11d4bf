import type { AnyRouter } from '@trpc/server';
import { z } from 'zod';
import type { ProcedureEntry, ProcedureType } from './catalog.ts';
import type { JsonSchema } from './schema.ts';

/** What the describer reads of a built procedure (`_def` is tRPC's documented-internal shape). */
interface ProcedureDef {
  readonly _def: {
    readonly type: ProcedureType;
    readonly inputs: readonly unknown[];
    readonly meta?: unknown;
  };
}

/**
 * Every procedure of a router, lazy routers loaded, as the plain data `rosterctl` reads. Run at
 * build time (`npm run cli:catalog` writes src/cli/procedures.json) and by the tests, never by
 * rosterctl itself: reading the router means loading the whole server, which costs a CLI call
 * more than a second.
 */
export async function describeRouter(router: AnyRouter): Promise<ProcedureEntry[]> {
  const def = router._def;
  // Lazy routers add their procedures to `_def.procedures` once loaded; loading can reveal more.
  while (Object.keys(def.lazy).length)
    await Promise.all(Object.values(def.lazy).map((loader) => loader.load()));
  return Object.entries(def.procedures as Record<string, ProcedureDef>).map(([path, procedure]) => {
    const { type, inputs, meta } = procedure._def;
    const input = inputs.length ? inputSchema(inputs) : null;
    const metaDescription = (meta as { description?: unknown } | undefined)?.description;
    return {
      path,
      type,
      takesInput: inputs.length > 0,
      input,
      description: typeof metaDescription === 'string' ? metaDescription : (input?.description ?? null),
    };
  });
}

/** Chained `.input()` calls merge their objects; each parser becomes JSON Schema of what it accepts. */
function inputSchema(inputs: readonly unknown[]): JsonSchema | null {
  try {
    const schemas = inputs.map(
      (parser) => z.toJSONSchema(parser as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema,
    );
    return schemas.length === 1 ? schemas[0]! : { allOf: schemas };
  } catch {
    // Not zod, or a shape JSON Schema cannot hold: the procedure still takes `--input` JSON.
    return null;
  }
}
