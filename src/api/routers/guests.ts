import { z } from 'zod';
import { inviteGuest, listGuests, removeGuest, type Host } from '../../services/auth/guests.ts';
import { pageInput } from '../../services/pagination.ts';
import type { AuthedActor, Context } from '../context.ts';
import { useCaseOf } from '../effects.ts';
import { eveId, id, name } from '../inputs.ts';
import { router, scopedOver } from '../trpc.ts';

/**
 * `corporation.guests.*` and `alliance.guests.*` (see services/auth/guests.ts for what a guest is):
 * members in reach read the guest list (`user.read` over the host); inviting and removing needs
 * `corporation.guests` over the host (the use cases check both against the host).
 */
type Ctx = Context & { actor: AuthedActor };

const inviteFields = { characterId: eveId, characterName: name.optional() };

const list = (ctx: Ctx, host: Host, page: { cursor?: string | null | undefined; limit: number }) =>
  listGuests(ctx.deps.db.fork(), ctx.actor, host, page);

async function invite(
  ctx: Ctx,
  host: Host,
  input: { characterId: number; characterName?: string | undefined },
) {
  const { user, createdUser } = await inviteGuest(useCaseOf(ctx), ctx.actor, host, input);
  return {
    userId: user.id,
    characterId: user.characterId,
    characterName: user.characterName,
    corporationId: user.corporationId ?? 0,
    createdUser,
  };
}

async function remove(ctx: Ctx, host: Host, userId: string) {
  await removeGuest(useCaseOf(ctx), ctx.actor, host, userId);
  return { removed: true as const };
}

export const corporationGuestsRouter = router({
  list: scopedOver('user.read', 'corporation')
    .input(pageInput.extend({ corporationId: eveId }))
    .query(({ ctx, input }) => list(ctx, { kind: 'corporation', id: input.corporationId }, input)),
  invite: scopedOver('corporation.guests', 'corporation')
    .input(z.strictObject({ corporationId: eveId, ...inviteFields }))
    .mutation(({ ctx, input }) => invite(ctx, { kind: 'corporation', id: input.corporationId }, input)),
  remove: scopedOver('corporation.guests', 'corporation')
    .input(z.strictObject({ corporationId: eveId, userId: id }))
    .mutation(({ ctx, input }) =>
      remove(ctx, { kind: 'corporation', id: input.corporationId }, input.userId),
    ),
});

export const allianceGuestsRouter = router({
  list: scopedOver('user.read', 'alliance')
    .input(pageInput.extend({ allianceId: eveId }))
    .query(({ ctx, input }) => list(ctx, { kind: 'alliance', id: input.allianceId }, input)),
  invite: scopedOver('corporation.guests', 'alliance')
    .input(z.strictObject({ allianceId: eveId, ...inviteFields }))
    .mutation(({ ctx, input }) => invite(ctx, { kind: 'alliance', id: input.allianceId }, input)),
  remove: scopedOver('corporation.guests', 'alliance')
    .input(z.strictObject({ allianceId: eveId, userId: id }))
    .mutation(({ ctx, input }) => remove(ctx, { kind: 'alliance', id: input.allianceId }, input.userId)),
});
