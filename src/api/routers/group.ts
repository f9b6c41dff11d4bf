import { z } from 'zod';
import { Group, GroupMember, User } from '../../store/entities/index.ts';
import * as groups from '../../services/groups.ts';
import { pageInput, toPage } from '../../services/pagination.ts';
import { requireScope, router, scoped, scopedOver } from '../trpc.ts';
import type { Context } from '../context.ts';
import { membershipScope } from '../../sync/scope.ts';
import { auditChange, requestSyncAll } from '../effects.ts';

const id = z.string().min(1).max(64);
const platform = z.enum(['teamspeak', 'discord']);

function targetNames(ctx: Context, p: 'teamspeak' | 'discord') {
  return ctx.deps.config[p].targets.map((t) => t.name);
}

export const groupRouter = router({
  list: scoped('directory.read')
    .input(pageInput.extend({ kind: z.enum(['manual', 'auto', 'rule']).optional() }).prefault({}))
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const rows = await em.find(
        Group,
        {
          ...(input.kind ? { kind: input.kind } : {}),
          ...(input.cursor ? { id: { $gt: input.cursor } } : {}),
        },
        { orderBy: { id: 'asc' }, limit: input.limit + 1 },
      );
      const page = toPage(rows, input.limit);
      return { items: await groups.describeGroups(em, page.items), nextCursor: page.nextCursor };
    }),
  get: scoped('directory.read')
    .input(z.strictObject({ id }))
    .query(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const group = await groups.getGroup(em, input.id);
      const memberIds = (await em.find(GroupMember, { groupId: group.id }, { fields: ['userId'] })).map(
        (m) => m.userId,
      );
      const members = await em.find(
        User,
        { id: { $in: memberIds } },
        { fields: ['id', 'characterId', 'characterName'], orderBy: { characterName: 'asc' } },
      );
      return {
        ...(await groups.describeGroup(em, group)),
        members: members.map((u) => ({
          id: u.id,
          characterId: u.characterId,
          characterName: u.characterName,
        })),
      };
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
      const em = ctx.deps.db.fork();
      if (input.authorizedToLogin !== null) requireScope(ctx.actor, 'corporation.update');
      const group = await groups.createGroup(em, { ...input, ownerId: ctx.actor.userId });
      auditChange(ctx, em, {
        action: 'group.create',
        subject: `group:${group.id}`,
        after: group,
      });
      await em.flush();
      return groups.describeGroup(em, group);
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
      const { before, after } = await groups.updateGroup(em, groupId, changes);
      auditChange(ctx, em, {
        action: 'group.update',
        subject: `group:${groupId}`,
        before,
        after,
      });
      await em.flush();
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
      const em = ctx.deps.db.fork();
      const mapping = await groups.setMapping(em, input.id, input, targetNames(ctx, input.platform));
      auditChange(ctx, em, {
        action: 'group.map',
        subject: `group:${input.id}`,
        after: mapping,
      });
      await em.flush();
      await ctx.deps.jobs.requestSync(input.platform, input.target, 'group.map');
      return groups.describeGroup(em, await groups.getGroup(em, input.id));
    }),
  unmap: scoped('group.map')
    .input(z.strictObject({ id, platform, target: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      await groups.getGroup(em, input.id);
      const removed = await groups.removeMapping(em, input.id, input.platform, input.target);
      auditChange(ctx, em, {
        action: 'group.unmap',
        subject: `group:${input.id}`,
        before: input,
      });
      await em.flush();
      return { removed };
    }),
  addMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const group = await groups.getGroup(em, input.id);
      requireScope(ctx.actor, 'group.members', { ownerId: group.ownerId ?? null });
      const added = await groups.addMembers(em, input.id, input.userIds);
      auditChange(ctx, em, {
        action: 'group.addMembers',
        subject: `group:${input.id}`,
        after: { userIds: input.userIds },
      });
      await em.flush();
      if (added) await requestSyncAll(ctx, 'group.addMembers', membershipScope(input.id, input.userIds));
      return { added };
    }),
  removeMembers: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds: z.array(id).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const group = await groups.getGroup(em, input.id);
      requireScope(ctx.actor, 'group.members', { ownerId: group.ownerId ?? null });
      const removed = await groups.removeMembers(em, input.id, input.userIds);
      auditChange(ctx, em, {
        action: 'group.removeMembers',
        subject: `group:${input.id}`,
        before: { userIds: input.userIds },
      });
      await em.flush();
      if (removed) await requestSyncAll(ctx, 'group.removeMembers', membershipScope(input.id, input.userIds));
      return { removed };
    }),
  delete: scopedOver('group.delete', 'self')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      const em = ctx.deps.db.fork();
      const group = await groups.getGroup(em, input.id);
      requireScope(ctx.actor, 'group.delete', { ownerId: group.ownerId ?? null });
      const deleted = await groups.deleteGroup(em, input.id);
      auditChange(ctx, em, {
        action: 'group.delete',
        subject: `group:${input.id}`,
        before: deleted,
      });
      await em.flush();
      return { deleted: true };
    }),
});
