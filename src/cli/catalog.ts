import { inputFields, type Field, type JsonSchema } from './schema.ts';
import procedures from './procedures.json' with { type: 'json' };

export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** One procedure of the control plane as data: what src/cli/procedures.json holds for each. */
export interface ProcedureEntry {
  /** `group.list`, as the client calls it. */
  readonly path: string;
  readonly type: ProcedureType;
  /** Whether the procedure has an input parser at all. */
  readonly takesInput: boolean;
  /** The input as JSON Schema (zod's input side: defaults make fields optional), or null when it cannot be described. */
  readonly input: JsonSchema | null;
  /** From `.meta({ description })` or the input's `.describe()`. */
  readonly description: string | null;
}

/** One procedure of the control plane as the CLI sees it. */
export interface ProcedureInfo extends ProcedureEntry {
  /** `group`. */
  readonly router: string;
  /** `list` (`a.b` for procedures of nested routers). */
  readonly action: string;
  /** The input's fields when it is an object; null otherwise (then only `--input` JSON reaches it). */
  readonly fields: readonly Field[] | null;
}

export interface Catalog {
  readonly procedures: readonly ProcedureInfo[];
  readonly routers: readonly string[];
  find(router: string, action: string): ProcedureInfo | undefined;
  ofRouter(router: string): ProcedureInfo[];
}

/**
 * The daemon's procedures as generated from its router at build time (`npm run cli:catalog`; a
 * test fails when the file and the router disagree). rosterctl depends on the router as a type
 * only, so a call does not load the server.
 */
export const builtInCatalog = (): Catalog => catalogOf(procedures as readonly ProcedureEntry[]);

/** Each router's procedures together, routers in the order they were declared. */
export function catalogOf(entries: readonly ProcedureEntry[]): Catalog {
  const all = entries.map((entry): ProcedureInfo => {
    const [router, ...rest] = entry.path.split('.');
    return {
      ...entry,
      router: router!,
      action: rest.join('.'),
      fields: entry.input ? inputFields(entry.input) : null,
    };
  });
  const routers = [...new Set(all.map((p) => p.router))];
  const ordered = routers.flatMap((r) => all.filter((p) => p.router === r));
  return {
    procedures: ordered,
    routers,
    find: (r, a) => ordered.find((p) => p.router === r && p.action === a),
    ofRouter: (r) => ordered.filter((p) => p.router === r),
  };
}
