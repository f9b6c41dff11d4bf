import { z } from 'zod';
import { joinPolicies } from '../../domain/index.ts';
import type { Caller } from '../../services/group-access.ts';
import * as membership from '../../services/group-membership.ts';
import * as requests from '../../services/group-requests.ts';
import * as notices from '../../services/group-notices.ts';
import type { AuthedActor, Context } from '../context.ts';
import { requestSyncAll } from '../effects.ts';
import { authedProcedure, router, scoped, scopedOver } from '../trpc.ts';

/**
 * Groups people run themselves: joining, asking, leaving (scope `group.join`), the leaders' work
 * (`group.lead`: requests, members, end dates, join links) and the owner's settings
 * (`group.configure`: policy, eligibility, leaders). The services check the group-specific
 * rights (leading a group is not a clearance), so those procedures only need a token here.
 */

const id = z.string().min(1).max(64);
const userIds = z.array(id).min(1).max(1000);
const expiresAt = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .nullable()
  .optional()
  .describe('When the membership ends (ISO 8601); null or absent: it does not');
const leader = z.union([z.strictObject({ id, userId: id }), z.strictObject({ id, groupId: id })]);

const caller = (ctx: { actor: AuthedActor; requestId: string }): Caller => ({
  ...ctx.actor,
  requestId: ctx.requestId,
});

/** Membership changed: platforms follow at the next (debounced) sync. */
async function changed(ctx: Context, trigger: string) {
  await requestSyncAll(ctx, trigger);
}

export const membershipRouter = router({
  joinable: scoped('group.join').query(({ ctx }) =>
    membership.joinableGroups(ctx.deps.db.fork(), caller(ctx)),
  ),
  mine: scoped('group.join').query(({ ctx }) => membership.myGroups(ctx.deps.db.fork(), caller(ctx))),
  notices: scoped('group.join').query(({ ctx }) => notices.myNotices(ctx.deps.db.fork(), caller(ctx))),
  settings: scoped('directory.read')
    .input(z.strictObject({ id }))
    .query(({ ctx, input }) => membership.groupSettings(ctx.deps.db.fork(), caller(ctx), input.id)),

  join: scoped('group.join')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      const result = await membership.joinGroup(ctx.deps.db.fork(), caller(ctx), input.id);
      await changed(ctx, 'membership.join');
      return result;
    }),
  joinByLink: scoped('group.join')
    .input(z.strictObject({ link: z.string().min(1).max(200) }))
    .mutation(async ({ ctx, input }) => {
      const result = await membership.joinByLink(ctx.deps.db.fork(), caller(ctx), input.link);
      await changed(ctx, 'membership.joinByLink');
      return result;
    }),
  leave: scoped('group.join')
    .input(z.strictObject({ id }))
    .mutation(async ({ ctx, input }) => {
      const result = await membership.leaveGroup(ctx.deps.db.fork(), caller(ctx), input.id);
      await changed(ctx, 'membership.leave');
      return result;
    }),
  request: scoped('group.join')
    .input(z.strictObject({ id, message: z.string().max(1000).default('') }))
    .mutation(({ ctx, input }) =>
      requests.requestToJoin(ctx.deps.db.fork(), caller(ctx), input.id, input.message),
    ),
  withdraw: scoped('group.join')
    .input(z.strictObject({ requestId: id }))
    .mutation(({ ctx, input }) => requests.withdrawRequest(ctx.deps.db.fork(), caller(ctx), input.requestId)),

  requests: scoped('group.join')
    .input(z.strictObject({ id: id.optional() }).prefault({}))
    .query(({ ctx, input }) => requests.pendingRequests(ctx.deps.db.fork(), caller(ctx), input.id)),
  decide: authedProcedure
    .input(
      z.strictObject({
        requestId: id,
        approve: z.boolean(),
        reason: z.string().max(1000).optional(),
        expiresAt,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { requestId, ...decision } = input;
      const result = await requests.decideRequest(ctx.deps.db.fork(), caller(ctx), requestId, decision);
      if (input.approve) await changed(ctx, 'membership.decide');
      return result;
    }),
  members: scopedOver('group.members', 'self')
    .input(z.strictObject({ id }))
    .query(({ ctx, input }) => membership.membersForLeaders(ctx.deps.db.fork(), caller(ctx), input.id)),
  add: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds, expiresAt }))
    .mutation(async ({ ctx, input }) => {
      const result = await membership.addMembersAsLeader(ctx.deps.db.fork(), caller(ctx), input.id, input);
      if (result.added || result.updated) await changed(ctx, 'membership.add');
      return result;
    }),
  remove: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds }))
    .mutation(async ({ ctx, input }) => {
      const result = await membership.removeMembersAsLeader(
        ctx.deps.db.fork(),
        caller(ctx),
        input.id,
        input.userIds,
      );
      if (result.removed) await changed(ctx, 'membership.remove');
      return result;
    }),
  newJoinLink: scopedOver('group.members', 'self')
    .input(z.strictObject({ id }))
    .mutation(({ ctx, input }) => membership.newJoinLink(ctx.deps.db.fork(), caller(ctx), input.id)),

  configure: scopedOver('group.members', 'self')
    .input(
      z.strictObject({
        id,
        joinPolicy: z.enum(joinPolicies).optional(),
        eligibility: z
          .unknown()
          .optional()
          .describe('A rule (JSON) on who may join or ask; null: everyone who is not a guest'),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { id: groupId, ...settings } = input;
      return membership.configureGroup(ctx.deps.db.fork(), caller(ctx), groupId, settings);
    }),
  setRemovalGrace: scopedOver('group.members', 'self')
    .input(
      z.strictObject({
        id,
        graceHours: z
          .number()
          .int()
          .min(1)
          .max(notices.MAX_GRACE_HOURS)
          .nullable()
          .describe(
            'Hours a member keeps the group after a notice (rule, end date, lost login); null: no notice',
          ),
      }),
    )
    .mutation(({ ctx, input }) =>
      notices.setRemovalGrace(ctx.deps.db.fork(), caller(ctx), input.id, input.graceHours),
    ),
  addLeader: scopedOver('group.members', 'self')
    .input(leader)
    .mutation(({ ctx, input }) => {
      const { id: groupId, ...ref } = input;
      return membership.addLeader(ctx.deps.db.fork(), caller(ctx), groupId, ref);
    }),
  removeLeader: scopedOver('group.members', 'self')
    .input(leader)
    .mutation(({ ctx, input }) => {
      const { id: groupId, ...ref } = input;
      return membership.removeLeader(ctx.deps.db.fork(), caller(ctx), groupId, ref);
    }),
});
