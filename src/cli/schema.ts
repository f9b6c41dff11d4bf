import { UsageError } from './io.ts';

/**
 * The part of JSON Schema that zod's `toJSONSchema` produces for procedure inputs. The CLI reads
 * inputs through it (not through zod internals) to list fields and to turn flag strings into values.
 */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema | readonly JsonSchema[];
  readonly prefixItems?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly format?: string;
  readonly pattern?: string;
  readonly additionalProperties?: boolean | JsonSchema;
}

export interface Field {
  readonly name: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
  readonly description: string | null;
}

/** The alternatives of a schema, flattened: each has at most one `type` (or an enum or a const). */
export function variants(schema: JsonSchema): JsonSchema[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.flatMap(variants);
  if (Array.isArray(schema.type))
    return (schema.type as readonly string[]).map((type) => ({ ...schema, type }));
  return [schema];
}

const typeOf = (schema: JsonSchema): string | undefined => {
  if (schema.enum) return 'enum';
  if (typeof schema.type === 'string') return schema.type;
  if ('const' in schema) return schema.const === null ? 'null' : 'const';
  return undefined;
};

const accepts = (schema: JsonSchema, type: string) => variants(schema).some((v) => typeOf(v) === type);

/**
 * The fields of an object input, or null when the input is not an object. `allOf` parts add up;
 * union variants merge (a field is required only when every variant requires it).
 */
export function inputFields(schema: JsonSchema): Field[] | null {
  if (schema.allOf) {
    const parts = schema.allOf.map(inputFields);
    if (parts.some((p) => p === null)) return null;
    const fields = new Map<string, Field>();
    for (const field of parts.flat() as Field[]) {
      const seen = fields.get(field.name);
      fields.set(field.name, { ...field, required: field.required || (seen?.required ?? false) });
    }
    return [...fields.values()];
  }
  const objects = variants(schema).filter((v) => typeOf(v) === 'object');
  if (!objects.length) return null;
  const fields = new Map<string, Field>();
  for (const object of objects) {
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      if (!fields.has(name))
        fields.set(name, {
          name,
          schema: property,
          required: false,
          description: property.description ?? null,
        });
    }
  }
  const requiredEverywhere = (name: string) => objects.every((o) => (o.required ?? []).includes(name));
  return [...fields.values()].map((f) => ({ ...f, required: requiredEverywhere(f.name) }));
}

/** A short type for help: `string`, `int 1..500`, `manual|auto`, `string[]`, `boolean|null`. */
export function describeType(schema: JsonSchema): string {
  const parts = variants(schema).map(describeVariant);
  return [...new Set(parts)].join('|') || 'any';
}

function describeVariant(v: JsonSchema): string {
  switch (typeOf(v)) {
    case 'enum':
      return (v.enum ?? []).map((e) => String(e)).join('|');
    case 'const':
      return JSON.stringify(v.const);
    case 'integer':
      return `int${range(v)}`;
    case 'number':
      return `number${range(v)}`;
    case 'array': {
      const item = Array.isArray(v.items) ? undefined : (v.items as JsonSchema | undefined);
      const inner = item ? describeType(item) : 'any';
      return inner.includes('|') ? `(${inner})[]` : `${inner}[]`;
    }
    case 'string':
      return v.format ? `string (${v.format})` : 'string';
    case 'object':
      return 'json';
    case undefined:
      return 'any';
    default:
      return typeOf(v)!;
  }
}

/** ` 1..500`, ` >0`, ` ≥-1`; bounds that only say "a safe integer" are left out. */
function range(v: JsonSchema): string {
  const bound = (n: number | undefined) =>
    n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n;
  const min = bound(v.minimum);
  const max = bound(v.maximum);
  const above = bound(v.exclusiveMinimum);
  const below = bound(v.exclusiveMaximum);
  if (min !== undefined && max !== undefined) return ` ${min}..${max}`;
  const parts = [
    min !== undefined ? `≥${min}` : above !== undefined ? `>${above}` : '',
    max !== undefined ? `≤${max}` : below !== undefined ? `<${below}` : '',
  ].filter(Boolean);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** Constraints and default as one short note for help: `required`, `default 100`, `1-100 chars`. */
export function describeField(field: Field): string {
  const notes: string[] = [];
  if (field.required) notes.push('required');
  if (field.schema.default !== undefined) notes.push(`default ${JSON.stringify(field.schema.default)}`);
  for (const v of variants(field.schema)) {
    const chars = span(v.minLength, v.maxLength);
    if (chars) notes.push(`${chars} chars`);
    const items = span(v.minItems, v.maxItems);
    if (items) notes.push(`${items} items`);
    if (v.pattern) notes.push(`matches /${v.pattern}/`);
  }
  return [...new Set(notes)].join(', ');
}

const span = (min: number | undefined, max: number | undefined) =>
  min && max !== undefined ? `${min}-${max}` : max !== undefined ? `≤${max}` : min ? `≥${min}` : '';

/** Whether a flag of this field may stand alone (`--force` = true). */
export const isBooleanFlag = (schema: JsonSchema): boolean =>
  accepts(schema, 'boolean') && !accepts(schema, 'array');

/** A boolean flag that takes nothing else (not `boolean|null`): the synopsis shows it bare. */
export const isPlainBooleanFlag = (schema: JsonSchema): boolean =>
  variants(schema).every((v) => typeOf(v) === 'boolean');

export const isArrayField = (schema: JsonSchema): boolean => accepts(schema, 'array');

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, yes: true, no: false };
export const isBooleanWord = (raw: string): boolean => raw.toLowerCase() in BOOLEAN_WORDS;

/**
 * Turns the strings given for one flag into the value the field takes: numbers, booleans,
 * `null` for nullable fields, arrays from repeated flags or comma lists, JSON for objects.
 */
export function coerceFlag(flag: string, raws: readonly string[], schema: JsonSchema): unknown {
  const all = variants(schema);
  const array = all.find((v) => typeOf(v) === 'array');
  if (array) {
    if (raws.length === 1 && raws[0] === 'null' && accepts(schema, 'null')) return null;
    if (raws.length === 1 && raws[0]!.trim().startsWith('[')) return parseJson(flag, raws[0]!);
    const item = (Array.isArray(array.items) ? undefined : (array.items as JsonSchema | undefined)) ?? {};
    const itemIsObject = accepts(item, 'object') || accepts(item, 'array');
    const pieces = itemIsObject
      ? raws
      : raws.flatMap((raw) =>
          raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
    return pieces.map((piece) => coerceScalar(flag, piece, item));
  }
  if (raws.length > 1) throw new UsageError(`--${flag} was given ${raws.length} times; it takes one value`);
  return coerceScalar(flag, raws[0]!, schema);
}

function coerceScalar(flag: string, raw: string, schema: JsonSchema): unknown {
  const types = new Set(variants(schema).map(typeOf));
  if (types.has(undefined)) return parseLoosely(raw);
  if (raw === 'null' && types.has('null')) return null;
  if (types.has('boolean') && isBooleanWord(raw)) return BOOLEAN_WORDS[raw.toLowerCase()];
  const numeric = raw.trim() !== '' && Number.isFinite(Number(raw));
  // A number where the field takes one ("id or ticker" unions take `99000001` as the id).
  if ((types.has('integer') || types.has('number')) && numeric) return Number(raw);
  if (types.has('string') || types.has('enum')) return raw;
  if (types.has('const')) {
    const wanted = variants(schema).find((v) => typeOf(v) === 'const')!.const;
    return typeof wanted === 'string' ? raw : parseLoosely(raw);
  }
  if (types.has('object') || types.has('array')) return parseJson(flag, raw);
  if (types.has('integer') || types.has('number'))
    throw new UsageError(`--${flag} takes a number, not "${raw}"`);
  if (types.has('boolean')) throw new UsageError(`--${flag} takes true or false, not "${raw}"`);
  return raw;
}

function parseLoosely(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function parseJson(what: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`--${what} is not valid JSON: ${(error as Error).message}`);
  }
}
