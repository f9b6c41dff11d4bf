import { z } from 'zod';
import * as groups from '../../services/groups.ts';
import { pageInput } from '../../services/pagination.ts';
import { router, scoped, scopedOver } from '../trpc.ts';
import type { Context } from '../context.ts';
import { useCaseOf } from '../effects.ts';

const id = z.string().min(1).max(64);
const platform = z.enum(['teamspeak', 'discord']);

function targetNames(ctx: Context, p: 'teamspeak' | 'discord') {
  return ctx.deps.config[p].targets.map((t) => t.name);
}

export const groupRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ kind: z.enum(['manual', 'auto', 'rule']).optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      return groups.listGroups(ctx.deps.db.fork(), input);
    }),
  get: scoped('directory.read')
    .input(z.strictObject({ id }))
    .query(async ({ ctx, input }) => {
      return groups.groupWithMembers(ctx.deps.db.fork(), input.id);
    }),
  create: scoped('group.create')
    .input(
      z.strictObject({
        name: z.string().min(1).max(100),
        description: z.string().max(2000).default(''),
        authorizedToLogin: z.boolean().nullable().default(null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const group = await groups.createGroup(useCaseOf(ctx), ctx.actor, input);
      return groups.describeGroup(ctx.deps.db.fork(), group);
    }),
  update: scopedOver('group.update', 'self')
    .input(
      z.strictObject({
        id,
        name: z.string().min(1).max(100).optional(),
        description: z.string().max(2000).optional(),
        ownerId: id.nullable().optional(),
        authorizedToLogin: z.boolean().nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { id: groupId, ...changes } = input;
      const { after } = await groups.updateGroup(useCaseOf(ctx), ctx.actor, groupId, changes);
      return groups.describeGroup(ctx.deps.db.fork(), after);
    }),
  map: scoped('group.map')
    .input(
      z.strictObject({
        id,
        platform,
        target: z.string().min(1).max(64),
        displayName: z.string().min(1).max(100).nullable().optional(),
        mode: z.enum(['managed', 'grantOnly']).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await groups.mapGroup(useCaseOf(ctx), input.id, input, targetNames(ctx, input.platform));
      const em = ctx.deps.db.fork();
      return groups.describeGroup(em, await groups.getGroup(em, input.id));
    }),
  unmap: scoped('group.map')
    .input(z.strictObject({ id, platform, target: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      return { removed: await groups.unmapGroup(useCaseOf(ctx), input) };
    }),
  addMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const added = await groups.addMembers(useCaseOf(ctx), ctx.actor, input.id, input.userIds);
      return { added };
    }),
  removeMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const removed = await groups.removeMembers(useCaseOf(ctx), ctx.actor, input.id, input.userIds);
      return { removed };
    }),
  delete: scopedOver('group.delete', 'self')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      await groups.deleteGroup(useCaseOf(ctx), ctx.actor, input.id);
      return { deleted: true };
    }),
});
