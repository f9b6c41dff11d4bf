/**
 * zod schemas of the ESI replies Roster reads, and their camelCase shapes. Unknown fields are
 * dropped; a missing or mistyped field makes the reply malformed (a typed error, not a crash
 * three layers later).
 */
import { z } from 'zod';

const id = z.number().int().positive();

export const characterSchema = z
  .object({
    name: z.string().min(1),
    corporation_id: id,
    alliance_id: id.optional(),
    birthday: z.string().optional(),
    security_status: z.number().optional(),
  })
  .transform((c) => ({
    name: c.name,
    corporationId: c.corporation_id,
    allianceId: c.alliance_id ?? null,
    birthday: c.birthday ?? null,
    securityStatus: c.security_status ?? null,
  }));
export type EsiCharacter = z.output<typeof characterSchema> & { readonly characterId: number };

export const corporationSchema = z
  .object({
    name: z.string().min(1),
    ticker: z.string().min(1),
    ceo_id: id,
    alliance_id: id.optional(),
    member_count: z.number().int().nonnegative(),
  })
  .transform((c) => ({
    name: c.name,
    ticker: c.ticker,
    ceoCharacterId: c.ceo_id,
    allianceId: c.alliance_id ?? null,
    memberCount: c.member_count,
  }));
export type EsiCorporation = z.output<typeof corporationSchema> & {
  readonly corporationId: number;
};

export const allianceSchema = z
  .object({
    name: z.string().min(1),
    ticker: z.string().min(1),
    // ESI omits it for a closed alliance (no executor).
    executor_corporation_id: id.optional(),
  })
  .transform((a) => ({
    name: a.name,
    ticker: a.ticker,
    executorCorporationId: a.executor_corporation_id ?? null,
  }));
export type EsiAlliance = z.output<typeof allianceSchema> & { readonly allianceId: number };

export const idListSchema = z.array(id);

export const affiliationListSchema = z.array(
  z
    .object({
      character_id: id,
      corporation_id: id,
      alliance_id: id.optional(),
    })
    .transform((a) => ({
      characterId: a.character_id,
      corporationId: a.corporation_id,
      allianceId: a.alliance_id ?? null,
    })),
);
export type EsiAffiliation = z.output<typeof affiliationListSchema>[number];

/** `POST /universe/names/`: every id with its name and category. */
export const universeNameListSchema = z.array(
  z.object({ id, name: z.string().min(1), category: z.string().min(1) }),
);
export type EsiUniverseName = z.output<typeof universeNameListSchema>[number];

const namedIds = z.array(z.object({ id, name: z.string().min(1) })).optional();

/**
 * `POST /universe/ids/`: the exact matches, by category; a category without a match is left out.
 * Only the categories Roster reads are kept.
 */
export const universeIdsSchema = z
  .object({ characters: namedIds, corporations: namedIds, alliances: namedIds })
  .transform((r) => ({
    characters: r.characters ?? [],
    corporations: r.corporations ?? [],
    alliances: r.alliances ?? [],
  }));
export type EsiUniverseIds = z.output<typeof universeIdsSchema>;

/** ESI's error body: `{ "error": "..." }`. */
export const errorBodySchema = z.object({ error: z.string() });

/** A compact description of a zod failure: paths and messages, never the values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
