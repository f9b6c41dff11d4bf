import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { loginSettingsOf, startLogin } from '../../services/auth/sso-login.ts';
import type { SsoClient } from '../../esi/sso.ts';
import type { Host } from '../../services/auth/guests.ts';
import { startGuestInvitation } from '../../services/auth/invitations.ts';
import type { Context } from '../context.ts';
import { eveId } from '../inputs.ts';
import { useCaseOf } from '../effects.ts';
import { publicProcedure, router, scopedOver } from '../trpc.ts';

/**
 * `auth.*`: the start of an EVE SSO login (the callback is the plain route `GET /auth/callback`,
 * see ../sso-callback.ts), and guest invitation links. Starting a login writes a single-use state,
 * so both are mutations.
 */
/** Each start writes a state row: an address gets a bounded number a minute (API and portal together). */
function countLoginStart(ctx: Context): void {
  if (ctx.deps.loginStarts.blocked(ctx.ip)) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: 'too many logins started from this address; wait a minute',
    });
  }
  ctx.deps.loginStarts.fail(ctx.ip);
}

/** The daemon's SSO client (only its `authorizeUrl` is used here: no network). */
function ssoOf(ctx: Context): SsoClient {
  if (!ctx.deps.sso)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'EVE SSO login is not configured: set sso.clientId, sso.clientSecret and sso.callbackUrl',
    });
  return ctx.deps.sso;
}

const host = z.union([z.strictObject({ corporationId: eveId }), z.strictObject({ allianceId: eveId })]);

export const authRouter = router({
  /** The EVE SSO authorize URL with a fresh state, and the scopes asked (the character's mandatory ones when known). */
  loginUrl: publicProcedure
    .input(z.strictObject({ characterId: eveId.optional() }).default({}))
    .mutation(async ({ ctx, input }) => {
      const sso = ssoOf(ctx);
      countLoginStart(ctx);
      const start = await startLogin(ctx.deps.db.fork(), sso, loginSettingsOf(ctx.deps.config), {
        characterId: input.characterId,
      });
      return { url: start.url, scopes: start.scopes, expiresAt: start.expiresAt.toISOString() };
    }),
  /**
   * A single-use invitation link: whoever logs in through it, and would not be let in otherwise,
   * becomes a guest of the corporation (or of the alliance, in its executor corporation).
   */
  inviteUrl: scopedOver('corporation.guests', 'corporation')
    .input(host)
    .mutation(async ({ ctx, input }) => {
      const invite: Host =
        'corporationId' in input
          ? { kind: 'corporation', id: input.corporationId }
          : { kind: 'alliance', id: input.allianceId };
      const login = { sso: ssoOf(ctx), settings: loginSettingsOf(ctx.deps.config) };
      const start = await startGuestInvitation(useCaseOf(ctx), ctx.actor, login, invite);
      return { url: start.url, scopes: start.scopes, expiresAt: start.expiresAt.toISOString() };
    }),
});
