import { z } from 'zod';
import * as links from '../../services/links/teamspeak.ts';
import { linkScope } from '../../services/links/scope.ts';
import { router } from '../trpc.ts';
import { configuredTarget, linkProcedure, targetName } from './links.ts';

const targetInput = z.strictObject({ target: targetName });

/** Linking one's TeamSpeak identity, per target (virtual server), by a single-use nickname. */
export const teamspeakRouter = router({
  /** A random nickname to connect (or rename) with on the target, valid `teamspeak.linkTtlSeconds`. */
  startLink: linkProcedure.input(targetInput).mutation(async ({ ctx, input }) => {
    configuredTarget(ctx, 'teamspeak', input.target);
    return links.startTeamspeakLink(ctx.deps.db.fork(), {
      userId: ctx.actor.userId,
      target: input.target,
      ttlSeconds: ctx.deps.config.teamspeak.linkTtlSeconds,
      requestId: ctx.requestId,
    });
  }),
  /**
   * Links the one online client showing the nickname; refuses none, several, expired, used, taken.
   * A link already completed (by the link poller) answers `alreadyLinked` with the identity.
   */
  completeLink: linkProcedure.input(targetInput).mutation(async ({ ctx, input }) => {
    configuredTarget(ctx, 'teamspeak', input.target);
    const em = ctx.deps.db.fork();
    const scope = await linkScope(em, [ctx.actor.userId]);
    const link = await links.completeTeamspeakLink(em, ctx.deps.links, {
      userId: ctx.actor.userId,
      target: input.target,
      requestId: ctx.requestId,
    });
    // A link the poller completed has asked for its sync already.
    if (!link.alreadyLinked)
      await ctx.deps.jobs.requestSync('teamspeak', input.target, 'teamspeak.link', scope);
    return link;
  }),
  /** Forgets the identity on the target; the next run takes every managed server group from it. */
  unlink: linkProcedure.input(targetInput).mutation(async ({ ctx, input }) => {
    const em = ctx.deps.db.fork();
    const scope = await linkScope(em, [ctx.actor.userId]);
    const removed = await links.unlinkTeamspeak(em, {
      userId: ctx.actor.userId,
      target: input.target,
      actorId: ctx.actor.userId,
      requestId: ctx.requestId,
    });
    if (removed) await ctx.deps.jobs.requestSync('teamspeak', input.target, 'teamspeak.unlink', scope);
    return { removed };
  }),
  /** One's links and pending challenges, and the targets one may link on. */
  status: linkProcedure.query(async ({ ctx }) => ({
    targets: ctx.deps.config.teamspeak.targets.map((t) => t.name),
    ...(await links.teamspeakLinkStatus(ctx.deps.db.fork(), ctx.actor.userId)),
  })),
});
