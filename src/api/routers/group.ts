import { z } from 'zod';
import * as groups from '../../services/groups.ts';
import { pageInput } from '../../services/pagination.ts';
import { requireScope, router, scoped, scopedOver } from '../trpc.ts';
import type { Context } from '../context.ts';
import { membershipScope } from '../../sync/scope.ts';
import { change, requestSyncAll } from '../effects.ts';

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
      if (input.authorizedToLogin !== null) requireScope(ctx.actor, 'corporation.update');
      const group = await change(ctx, async (tx, audit) => {
        const group = await groups.createGroup(tx, { ...input, ownerId: ctx.actor.userId });
        audit({ action: 'group.create', subject: `group:${group.id}`, after: group });
        return group;
      });
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
      const em = ctx.deps.db.fork();
      const current = await groups.getGroup(em, input.id);
      requireScope(ctx.actor, 'group.update', { ownerId: current.ownerId ?? null });
      if (input.authorizedToLogin !== undefined) requireScope(ctx.actor, 'corporation.update');
      const { id: groupId, ...changes } = input;
      const { after } = await change(ctx, async (tx, audit) => {
        const updated = await groups.updateGroup(tx, groupId, changes);
        audit({ action: 'group.update', subject: `group:${groupId}`, ...updated });
        return updated;
      });
      if (input.name !== undefined || input.authorizedToLogin !== undefined)
        await requestSyncAll(ctx, 'group.update');
      return groups.describeGroup(em, after);
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
      await change(ctx, async (tx, audit) => {
        const mapping = await groups.setMapping(tx, input.id, input, targetNames(ctx, input.platform));
        audit({ action: 'group.map', subject: `group:${input.id}`, after: mapping });
      });
      const em = ctx.deps.db.fork();
      await ctx.deps.jobs.requestSync(input.platform, input.target, 'group.map');
      return groups.describeGroup(em, await groups.getGroup(em, input.id));
    }),
  unmap: scoped('group.map')
    .input(z.strictObject({ id, platform, target: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const removed = await change(ctx, async (tx, audit) => {
        await groups.getGroup(tx, input.id);
        const removed = await groups.removeMapping(tx, input.id, input.platform, input.target);
        audit({ action: 'group.unmap', subject: `group:${input.id}`, before: input });
        return removed;
      });
      return { removed };
    }),
  addMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const added = await change(ctx, async (tx, audit) => {
        const group = await groups.getGroup(tx, input.id);
        requireScope(ctx.actor, 'group.members', { ownerId: group.ownerId ?? null });
        const added = await groups.addMembers(tx, input.id, input.userIds);
        audit({
          action: 'group.addMembers',
          subject: `group:${input.id}`,
          after: { userIds: input.userIds },
        });
        return added;
      });
      if (added) await requestSyncAll(ctx, 'group.addMembers', membershipScope(input.id, input.userIds));
      return { added };
    }),
  removeMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const removed = await change(ctx, async (tx, audit) => {
        const group = await groups.getGroup(tx, input.id);
        requireScope(ctx.actor, 'group.members', { ownerId: group.ownerId ?? null });
        const removed = await groups.removeMembers(tx, input.id, input.userIds);
        audit({
          action: 'group.removeMembers',
          subject: `group:${input.id}`,
          before: { userIds: input.userIds },
        });
        return removed;
      });
      if (removed) await requestSyncAll(ctx, 'group.removeMembers', membershipScope(input.id, input.userIds));
      return { removed };
    }),
  delete: scopedOver('group.delete', 'self')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      await change(ctx, async (tx, audit) => {
        const group = await groups.getGroup(tx, input.id);
        requireScope(ctx.actor, 'group.delete', { ownerId: group.ownerId ?? null });
        const deleted = await groups.deleteGroup(tx, input.id);
        audit({ action: 'group.delete', subject: `group:${input.id}`, before: deleted });
      });
      return { deleted: true };
    }),
});
