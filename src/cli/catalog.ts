import type { AnyRouter } from '@trpc/server';
import { z } from 'zod';
import { inputFields, type Field, type JsonSchema } from './schema.ts';

export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** One procedure of the control plane as the CLI sees it, read from the router at run time. */
export interface ProcedureInfo {
  /** `group.list`, as the client calls it. */
  readonly path: string;
  /** `group`. */
  readonly router: string;
  /** `list` (`a.b` for procedures of nested routers). */
  readonly action: string;
  readonly type: ProcedureType;
  /** Whether the procedure has an input parser at all. */
  readonly takesInput: boolean;
  /** The input as JSON Schema (zod's input side: defaults make fields optional), or null when it cannot be described. */
  readonly input: JsonSchema | null;
  /** The input's fields when it is an object; null otherwise (then only `--input` JSON reaches it). */
  readonly fields: readonly Field[] | null;
  /** From `.meta({ description })` or the input's `.describe()`. */
  readonly description: string | null;
}

export interface Catalog {
  readonly procedures: readonly ProcedureInfo[];
  readonly routers: readonly string[];
  find(router: string, action: string): ProcedureInfo | undefined;
  ofRouter(router: string): ProcedureInfo[];
}

/** What the CLI reads of a built procedure (`_def` is tRPC's documented-internal shape). */
interface ProcedureDef {
  readonly _def: {
    readonly type: ProcedureType;
    readonly inputs: readonly unknown[];
    readonly meta?: unknown;
  };
}

/** Every procedure of the router, lazy routers loaded, in the router's own order. */
export async function loadCatalog(router: AnyRouter): Promise<Catalog> {
  const def = router._def;
  // Lazy routers add their procedures to `_def.procedures` once loaded; loading can reveal more.
  while (Object.keys(def.lazy).length)
    await Promise.all(Object.values(def.lazy).map((loader) => loader.load()));
  const all = Object.entries(def.procedures as Record<string, ProcedureDef>).map(([path, procedure]) =>
    describeProcedure(path, procedure),
  );
  const routers = [...new Set(all.map((p) => p.router))];
  // Each router's procedures together, routers in the order they were declared.
  const procedures = routers.flatMap((r) => all.filter((p) => p.router === r));
  return {
    procedures,
    routers,
    find: (r, a) => procedures.find((p) => p.router === r && p.action === a),
    ofRouter: (r) => procedures.filter((p) => p.router === r),
  };
}

function describeProcedure(path: string, procedure: ProcedureDef): ProcedureInfo {
  const [router, ...rest] = path.split('.');
  const { type, inputs, meta } = procedure._def;
  const input = inputs.length ? inputSchema(inputs) : null;
  const metaDescription = (meta as { description?: unknown } | undefined)?.description;
  return {
    path,
    router: router!,
    action: rest.join('.'),
    type,
    takesInput: inputs.length > 0,
    input,
    fields: input ? inputFields(input) : null,
    description: typeof metaDescription === 'string' ? metaDescription : (input?.description ?? null),
  };
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
