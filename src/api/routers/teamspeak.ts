import { z } from 'zod';
import * as links from '../../services/links/teamspeak.ts';
import { useCaseOf } from '../effects.ts';
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
    return links.completeTeamspeakLink(useCaseOf(ctx), ctx.deps.links, {
      userId: ctx.actor.userId,
      target: input.target,
    });
  }),
  /** Forgets the identity on the target; the next run takes every managed server group from it. */
  unlink: linkProcedure.input(targetInput).mutation(async ({ ctx, input }) => {
    const removed = await links.unlinkTeamspeak(useCaseOf(ctx), {
      userId: ctx.actor.userId,
      target: input.target,
    });
    return { removed };
  }),
  /** One's links and pending challenges, and the targets one may link on. */
  status: linkProcedure.query(async ({ ctx }) => ({
    targets: ctx.deps.config.teamspeak.targets.map((t) => t.name),
    ...(await links.teamspeakLinkStatus(ctx.deps.db.fork(), ctx.actor.userId)),
  })),
});
