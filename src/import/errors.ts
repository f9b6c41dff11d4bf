/** An export that cannot be read: the message names the file or record and what is wrong. Nothing is written. */
export class ImportFormatError extends Error {
  override readonly name = 'ImportFormatError';
}

/** A positive EVE id from a number or a numeric string (Alliance Auth keeps ids in CharFields). */
export function eveIdOf(value: unknown, record: string, field: string): number {
  const id =
    (typeof value === 'string' && /^\d+$/.test(value)) || typeof value === 'bigint' ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    throw new ImportFormatError(
      `${record}: ${field} is not an EVE id (${JSON.stringify(value)?.slice(0, 40)})`,
    );
  return id;
}

/** An optional EVE id: null, '' and 0 are none. */
export function optionalEveIdOf(value: unknown, record: string, field: string): number | null {
  if (value === null || value === undefined || value === '' || value === 0 || value === '0') return null;
  return eveIdOf(value, record, field);
}

export function textOf(value: unknown, record: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ImportFormatError(`${record}: ${field} must be a non-empty string`);
  return value.trim();
}

/**
 * A Discord snowflake (64 bits): exact from a string or a bigint (extended JSON `$numberLong`);
 * a plain JSON number above 2^53 has lost digits already, which is an error naming the record.
 */
export function snowflakeOf(value: unknown, record: string, field: string): string | null {
  if (value === null || value === undefined || value === '' || value === 0) return null;
  if (typeof value === 'bigint' || (typeof value === 'string' && /^\d{1,20}$/.test(value)))
    return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  throw new ImportFormatError(
    `${record}: ${field} is not an exact Discord id (${String(value)}); export with mongoexport --jsonFormat=canonical to keep 64-bit ids`,
  );
}
