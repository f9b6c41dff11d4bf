/** Results for people: tables for lists of objects, `key  value` lines for one object. */

const MAX_CELL = 60;

type Row = Readonly<Record<string, unknown>>;

const isRow = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A page as the control plane returns it (`{ items, nextCursor }`). */
export const isPage = (value: unknown): value is { items: unknown[]; nextCursor: string | null } =>
  isRow(value) && Array.isArray(value.items) && 'nextCursor' in value && Object.keys(value).length === 2;

/** One cell: ISO times without milliseconds, scalar lists joined, nested values as compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string')
    return shorten(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? value.replace(/\.\d+Z$/, 'Z') : value,
    );
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object'))
      return shorten(value.map((v) => String(v)).join(', ')) || '-';
    return `[${value.length}]`;
  }
  return shorten(JSON.stringify(value));
}

/** Long text is cut to fit a table, except text with a URL in it: a cut URL is useless. */
const shorten = (text: string) => {
  const oneLine = text.replaceAll(/\s*\n\s*/g, ' ');
  if (oneLine.length <= MAX_CELL || /\b[a-z][a-z0-9+.-]*:\/\/\S/i.test(oneLine)) return oneLine;
  return `${oneLine.slice(0, MAX_CELL - 1)}…`;
};

export interface Column {
  readonly header: string;
  /** Right-aligned (numbers). */
  readonly right?: boolean;
}

/** Aligned columns, headers upper-cased; the last column is not padded. */
export function table(columns: readonly (string | Column)[], rows: readonly (readonly string[])[]): string[] {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const widths = cols.map((c, i) =>
    Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cols
      .map((c, i) => {
        const text = cells[i] ?? '';
        const pad = ' '.repeat(widths[i]! - visibleLength(text));
        if (c.right) return pad + text;
        return i === cols.length - 1 ? text : text + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.header.toUpperCase())), ...rows.map(line)];
}

const visibleLength = (text: string) => text.replaceAll(/\u001b\[[0-9;]*m/g, '').length;

/** A list of objects as a table; columns are the keys in order of first appearance. */
export function objectTable(rows: readonly Row[]): string[] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const numeric = keys.map(
    (k) =>
      rows.some((r) => typeof r[k] === 'number') &&
      rows.every((r) => r[k] === null || r[k] === undefined || typeof r[k] === 'number'),
  );
  return table(
    keys.map((k, i) => ({ header: k, right: numeric[i] })),
    rows.map((r) => keys.map((k) => cell(r[k]))),
  );
}

/** Any result, for people. `more` names the command line that fetches the next page. */
export function render(value: unknown, more?: (cursor: string) => string): string[] {
  if (value === undefined || value === null) return ['ok'];
  if (isPage(value)) {
    const lines = value.items.length ? render(value.items) : ['(no items)'];
    if (value.nextCursor)
      lines.push('', `more: --cursor ${value.nextCursor}${more ? `   (${more(value.nextCursor)})` : ''}`);
    return lines;
  }
  if (Array.isArray(value)) {
    if (!value.length) return ['(none)'];
    if (value.every(isRow)) return objectTable(value);
    return value.map((v) => cell(v));
  }
  if (isRow(value)) return objectLines(value);
  return [String(value)];
}

/** One object: scalars as aligned `key  value` lines, then nested objects and lists of objects, indented. */
function objectLines(row: Row): string[] {
  const entries = Object.entries(row);
  const isTable = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(isRow);
  const isNested = (v: unknown) => isRow(v) && Object.keys(v).length > 0;
  const flat = entries.filter(([, v]) => !isTable(v) && !isNested(v));
  const width = Math.max(0, ...flat.map(([k]) => k.length));
  const lines = flat.map(([k, v]) => `${k.padEnd(width)}  ${isRow(v) ? '{}' : cell(v)}`);
  for (const [k, v] of entries) {
    if (isNested(v)) lines.push(`${k}:`, ...objectLines(v as Row).map((l) => `  ${l}`));
    else if (isTable(v)) lines.push(`${k}:`, ...objectTable(v as Row[]).map((l) => `  ${l}`));
  }
  return lines;
}

/** `12s ago`, `5m ago`, `3h ago`, `2d ago`; `-` for none. */
export function ago(iso: string | Date | null | undefined, now: Date): string {
  if (!iso) return '-';
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** `0.4s`, `12s`, `3m05s`. */
export function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
