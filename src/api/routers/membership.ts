import { z } from 'zod';
import { joinPolicies } from '../../domain/index.ts';
import * as membership from '../../services/group-membership.ts';
import * as requests from '../../services/group-requests.ts';
import * as notices from '../../services/group-notices.ts';
import { useCaseOf } from '../effects.ts';
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

export const membershipRouter = router({
  joinable: scoped('group.join').query(({ ctx }) => membership.joinableGroups(ctx.deps.db.fork(), ctx.actor)),
  mine: scoped('group.join').query(({ ctx }) => membership.myGroups(ctx.deps.db.fork(), ctx.actor)),
  notices: scoped('group.join').query(({ ctx }) => notices.myNotices(ctx.deps.db.fork(), ctx.actor)),
  settings: scoped('directory.read')
    .input(z.strictObject({ id }))
    .query(({ ctx, input }) => membership.groupSettings(ctx.deps.db.fork(), ctx.actor, input.id)),

  join: scoped('group.join')
    .input(z.strictObject({ id }))
    .mutation(({ ctx, input }) => membership.joinGroup(useCaseOf(ctx), ctx.actor, input.id, 'membership')),
  joinByLink: scoped('group.join')
    .input(z.strictObject({ link: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) => membership.joinByLink(useCaseOf(ctx), ctx.actor, input.link)),
  leave: scoped('group.join')
    .input(z.strictObject({ id }))
    .mutation(({ ctx, input }) => membership.leaveGroup(useCaseOf(ctx), ctx.actor, input.id, 'membership')),
  request: scoped('group.join')
    .input(z.strictObject({ id, message: z.string().max(1000).default('') }))
    .mutation(({ ctx, input }) => requests.requestToJoin(useCaseOf(ctx), ctx.actor, input.id, input.message)),
  withdraw: scoped('group.join')
    .input(z.strictObject({ requestId: id }))
    .mutation(({ ctx, input }) => requests.withdrawRequest(useCaseOf(ctx), ctx.actor, input.requestId)),

  requests: scoped('group.join')
    .input(z.strictObject({ id: id.optional() }).prefault({}))
    .query(({ ctx, input }) => requests.pendingRequests(ctx.deps.db.fork(), ctx.actor, input.id)),
  decide: authedProcedure
    .input(
      z.strictObject({
        requestId: id,
        approve: z.boolean(),
        reason: z.string().max(1000).optional(),
        expiresAt,
      }),
    )
    .mutation(({ ctx, input }) => {
      const { requestId, ...decision } = input;
      return requests.decideRequest(useCaseOf(ctx), ctx.actor, requestId, decision, 'membership');
    }),
  members: scopedOver('group.members', 'self')
    .input(z.strictObject({ id }))
    .query(({ ctx, input }) => membership.membersForLeaders(ctx.deps.db.fork(), ctx.actor, input.id)),
  add: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds, expiresAt }))
    .mutation(({ ctx, input }) => membership.addMembersAsLeader(useCaseOf(ctx), ctx.actor, input.id, input)),
  remove: scopedOver('group.members', 'self')
    .input(z.strictObject({ id, userIds }))
    .mutation(({ ctx, input }) =>
      membership.removeMembersAsLeader(useCaseOf(ctx), ctx.actor, input.id, input.userIds),
    ),
  newJoinLink: scopedOver('group.members', 'self')
    .input(z.strictObject({ id }))
    .mutation(({ ctx, input }) => membership.newJoinLink(useCaseOf(ctx), ctx.actor, input.id)),

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
      return membership.configureGroup(useCaseOf(ctx), ctx.actor, groupId, settings);
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
      notices.setRemovalGrace(useCaseOf(ctx), ctx.actor, input.id, input.graceHours),
    ),
  addLeader: scopedOver('group.members', 'self')
    .input(leader)
    .mutation(({ ctx, input }) => {
      const { id: groupId, ...ref } = input;
      return membership.addLeader(useCaseOf(ctx), ctx.actor, groupId, ref);
    }),
  removeLeader: scopedOver('group.members', 'self')
    .input(leader)
    .mutation(({ ctx, input }) => {
      const { id: groupId, ...ref } = input;
      return membership.removeLeader(useCaseOf(ctx), ctx.actor, groupId, ref);
    }),
});
