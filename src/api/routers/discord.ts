import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import * as links from '../../services/links/discord.ts';
import { useCaseOf } from '../effects.ts';
import { router } from '../trpc.ts';
import { configuredTarget, linkProcedure, targetName } from './links.ts';

/** Linking one's Discord account (one for all guilds), by OAuth2 or by a code sent to the bot. */
export const discordRouter = router({
  /**
   * `oauth` (default): the consent URL (scopes identify, guilds.join); Discord sends the browser
   * back to /discord/callback. `code`: a short code to send with `/link code:<code>` in the guild.
   */
  startLink: linkProcedure
    .input(z.strictObject({ target: targetName, method: z.enum(['oauth', 'code']).default('oauth') }))
    .mutation(async ({ ctx, input }) => {
      const target = configuredTarget(ctx, 'discord', input.target);
      const base = {
        userId: ctx.actor.userId,
        target: input.target,
        ttlSeconds: ctx.deps.config.discord.linkTtlSeconds,
        requestId: ctx.requestId,
      };
      if (input.method === 'code') {
        if (!target.interactionPublicKey) {
          throw new TRPCError({
            code: 'PRECONDITION_FAILED',
            message: `the /link command is not set up on "${input.target}" (discord.targets[].interactionPublicKey); use method "oauth"`,
          });
        }
        return links.startDiscordCodeLink(ctx.deps.db.fork(), base);
      }
      if (!target.oauthClientId || !target.oauthClientSecret) {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `OAuth2 is not set up on "${input.target}" (discord.targets[].oauthClientId and oauthClientSecret); use method "code"`,
        });
      }
      return links.startDiscordOAuthLink(ctx.deps.db.fork(), ctx.deps.links, {
        ...base,
        redirectUri: links.discordRedirectUri(ctx.deps.config),
      });
    }),
  /** How the pending link went (it completes on Discord's side): linked, or why not yet. */
  completeLink: linkProcedure
    .input(z.strictObject({ target: targetName }))
    .mutation(async ({ ctx, input }) => {
      configuredTarget(ctx, 'discord', input.target);
      return links.checkDiscordLink(ctx.deps.db.fork(), { userId: ctx.actor.userId, target: input.target });
    }),
  /** Forgets the Discord account; the next runs take every managed role from it. */
  unlink: linkProcedure.input(z.strictObject({}).prefault({})).mutation(async ({ ctx }) => {
    return { removed: await links.unlinkDiscord(useCaseOf(ctx), { userId: ctx.actor.userId }) };
  }),
  status: linkProcedure.query(async ({ ctx }) => ({
    targets: ctx.deps.config.discord.targets.map((t) => ({
      name: t.name,
      oauth: Boolean(t.oauthClientId && t.oauthClientSecret),
      code: Boolean(t.interactionPublicKey),
    })),
    ...(await links.discordLinkStatus(ctx.deps.db.fork(), ctx.actor.userId)),
  })),
});
