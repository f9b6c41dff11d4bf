/**
 * Guest invitation links: a single-use EVE SSO login state carrying the host, so that whoever logs
 * in through it, and would not be let in otherwise, becomes a guest of the corporation (or of the
 * alliance, in its executor corporation). See sso-login.ts for the login, guests.ts for guests.
 */
import type { Actor } from '../../domain/index.ts';
import type { SsoClient } from '../../esi/sso.ts';
import { requireMay } from '../rights.ts';
import { writeChange, type AuditedContext } from '../use-case.ts';
import { hostAffiliation, type Host } from './guests.ts';
import { startLogin, type LoginSettings, type LoginStart } from './sso-login.ts';

/** `auth.inviteUrl`: by whoever holds `corporation.guests` over the host; the link's issue is audited. */
export function startGuestInvitation(
  app: AuditedContext,
  actor: Actor,
  login: { readonly sso: Pick<SsoClient, 'authorizeUrl'>; readonly settings: LoginSettings },
  invite: Host,
): Promise<LoginStart> {
  return writeChange(app.db, app.author, async (tx, audit) => {
    requireMay(actor, 'corporation.guests', { affiliation: await hostAffiliation(tx, invite) });
    const start = await startLogin(tx, login.sso, login.settings, { invite, invitedBy: actor.userId });
    audit({
      action: `${invite.kind}.guests.inviteUrl`,
      subject: `${invite.kind}:${invite.id}`,
      after: { expiresAt: start.expiresAt.toISOString() },
    });
    return start;
  });
}
