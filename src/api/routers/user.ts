import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { GUEST, SUPERUSER } from '../../domain/index.ts';
import { pageInput } from '../../services/pagination.ts';
import { removeUser, setAuthorizedToLogin, setClearance, unlinkUser } from '../../services/user-changes.ts';
import {
  describeUser,
  getUser,
  getUserByCharacter,
  listUsers,
  userAffiliation,
} from '../../services/users.ts';
import { addUsers, MAX_ADD_ENTRIES } from '../../services/user-add.ts';
import { requireEsi, useCaseOf } from '../effects.ts';
import { eveId, id, loginFlag } from '../inputs.ts';
import type { AuthedActor } from '../context.ts';
import { setDiscordLink, setTeamspeakLinks } from '../../services/links/admin.ts';
import { adminLinkProcedure, configuredTarget, targetName } from './links.ts';
import { authedProcedure, requireScope, router, scoped, scopedOver } from '../trpc.ts';

const unlinkInput = z.discriminatedUnion('platform', [
  z.strictObject({ id, platform: z.literal('teamspeak'), target: z.string().min(1).max(64).optional() }),
  z.strictObject({ id, platform: z.literal('discord') }),
]);

/** `user.add` over the nearest character there can be (one of the actor's own corporation), or FORBIDDEN. */
function requireAnyUserAdd(actor: AuthedActor): void {
  requireScope(actor, 'user.add', { affiliation: { ...actor.affiliation, userId: null } });
}

/** One line of `user.import`: a character id or an exact character name. */
const entry = z.string().trim().min(1).max(40);

export const userRouter = router({
  /**
   * Adds one character (by id or exact name) as a user, read from ESI; `user.add` over its
   * corporation. Adding an existing user changes nothing (`outcome: "unchanged"`).
   */
  add: authedProcedure
    .input(
      z
        .strictObject({ characterId: eveId.optional(), name: entry.optional() })
        .refine(
          (x) => (x.characterId === undefined) !== (x.name === undefined),
          'give either characterId or name',
        ),
    )
    .mutation(async ({ ctx, input }) => {
      requireAnyUserAdd(ctx.actor);
      const wanted = input.name ?? String(input.characterId);
      const report = await addUsers(useCaseOf(ctx), requireEsi(ctx), ctx.actor, [wanted], 'user.add');
      if (report.refused[0]) throw new TRPCError({ code: 'FORBIDDEN', message: report.refused[0].reason });
      if (report.unknown.length)
        throw new TRPCError({ code: 'NOT_FOUND', message: `EVE knows no character "${wanted}"` });
      const [created] = report.created;
      return created
        ? { outcome: 'created' as const, user: created }
        : { outcome: 'unchanged' as const, user: report.unchanged[0]! };
    }),
  /**
   * Adds many characters (ids or exact names, up to 1,000 a call) in ESI's bulk
   * calls; says which were created, already users, unknown to EVE, or beyond the caller's reach.
   */
  import: authedProcedure
    .input(z.strictObject({ entries: z.array(entry).min(1).max(MAX_ADD_ENTRIES) }))
    .mutation(async ({ ctx, input }) => {
      requireAnyUserAdd(ctx.actor);
      return addUsers(useCaseOf(ctx), requireEsi(ctx), ctx.actor, input.entries, 'user.import');
    }),
  /** Users the actor may read (`user.read`), by id; guests only when asked and allowed. */
  list: scoped('directory.read')
    .input(
      pageInput
        .extend({
          corporationId: eveId.optional(),
          allianceId: eveId.optional(),
          groupId: id.optional(),
          includeGuests: z.boolean().default(false),
        })
        .prefault({}),
    )
    .query(async ({ ctx, input }) => {
      if (input.includeGuests) requireScope(ctx.actor, 'user.listGuests');
      return listUsers(ctx.deps.db.fork(), ctx.actor, input);
    }),
  get: scoped('directory.read')
    .input(
      z
        .strictObject({ id: id.optional(), characterId: z.number().int().nonnegative().optional() })
        .refine(
          (x) => (x.id === undefined) !== (x.characterId === undefined),
          'give either id or characterId',
        ),
    )
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const user =
        input.id !== undefined
          ? await getUser(em, input.id)
          : await getUserByCharacter(em, input.characterId!);
      requireScope(ctx.actor, 'user.read', { affiliation: await userAffiliation(em, user) });
      return describeUser(em, user);
    }),
  setClearance: scopedOver('user.setClearance', 'corporation')
    .input(z.strictObject({ id, level: z.number().int().min(GUEST).max(SUPERUSER) }))
    .mutation(async ({ ctx, input }) => {
      const { user } = await setClearance(useCaseOf(ctx), ctx.actor, input);
      return describeUser(ctx.deps.db.fork(), user);
    }),
  setAuthorizedToLogin: scopedOver('user.setAuthorizedToLogin', 'corporation')
    .input(z.strictObject({ id, authorizedToLogin: loginFlag }))
    .mutation(async ({ ctx, input }) => {
      const { user } = await setAuthorizedToLogin(useCaseOf(ctx), ctx.actor, input);
      return describeUser(ctx.deps.db.fork(), user);
    }),
  delete: scoped('user.delete')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      const removed = await removeUser(useCaseOf(ctx), ctx.actor, input);
      return { deleted: true as const, ...removed };
    }),
  /** Sets (or, with null, clears) a user's Discord account on their behalf; audited. */
  linkDiscord: adminLinkProcedure
    .input(
      z.strictObject({
        id,
        discordUserId: z
          .string()
          .regex(/^\d{15,21}$/, 'a Discord user id (snowflake)')
          .nullable(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return setDiscordLink(useCaseOf(ctx), { userId: input.id, discordUserId: input.discordUserId });
    }),
  /**
   * Records TeamSpeak identities on one target for up to 1,000 users: a unique id or a client
   * database id (the target completes the other), neither to clear; audited. Each entry says
   * linked, unchanged, cleared, or why not (unknown user, unknown on the target, taken).
   */
  linkTeamspeak: adminLinkProcedure
    .input(
      z.strictObject({
        target: targetName,
        links: z
          .array(
            z.strictObject({
              id,
              uniqueId: z.string().min(1).max(64).nullable().optional(),
              clientDbId: z
                .string()
                .regex(/^\d{1,20}$/, 'a client database id')
                .nullable()
                .optional(),
            }),
          )
          .min(1)
          .max(1_000),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      configuredTarget(ctx, 'teamspeak', input.target);
      const results = await setTeamspeakLinks(useCaseOf(ctx), ctx.deps.links, {
        target: input.target,
        entries: input.links.map((l) => ({ userId: l.id, uniqueId: l.uniqueId, clientDbId: l.clientDbId })),
      });
      return { results };
    }),
  /** Removes a user's TeamSpeak identities (one target or all) or Discord account; idempotent. */
  unlink: scopedOver('user.write', 'self')
    .input(unlinkInput)
    .mutation(async ({ ctx, input }) => {
      return unlinkUser(useCaseOf(ctx), ctx.actor, input);
    }),
});
