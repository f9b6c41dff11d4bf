/** Dates leave the API as ISO 8601 strings: tRPC sends plain JSON, so a Date would arrive as one anyway. */
export function iso(date: Date): string;
export function iso(date: Date | null | undefined): string | null;
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
