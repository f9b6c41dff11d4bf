/**
 * The portal's request plumbing, shared by every page (engineer 17's group pages too): the
 * signed-in viewer from the session cookie, form bodies, and the guard every state-changing
 * request passes (same origin, a live session, its CSRF token).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { csrfTokenMatches, resolveSession } from '../services/auth/sessions.ts';
import type { User } from '../store/entities/index.ts';
import type { WebDeps } from './deps.ts';
import type { Viewer } from './layout.ts';
import { problemPage } from './pages/errors.ts';
import { html } from './html.ts';
import { readCookie, sameOrigin, securityHeaders, sessionCookie, setSessionCookie } from './security.ts';
import { sendJson as writeJson } from '../api/http.ts';

/** A route beside tRPC; the same shape as api/http.ts's HttpRoute (web/ does not import api/). */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface SignedIn {
  readonly user: User;
  readonly viewer: Viewer;
  /** The cookie's secret (log out ends this session). */
  readonly secret: string;
  readonly sessionId: string;
}

const MAX_FORM_BYTES = 16 * 1024;

export function sendHtml(deps: WebDeps, res: ServerResponse, status: number, body: string): true {
  res.writeHead(status, { ...securityHeaders(deps.config), 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
  return true;
}

/** JSON for the portal's own scripts, with the portal's security headers. */
export function sendJson(deps: WebDeps, res: ServerResponse, status: number, body: unknown): true {
  return writeJson(res, status, body, securityHeaders(deps.config));
}

/** 303 See Other: after a POST, the browser GETs the next page. */
export function redirect(deps: WebDeps, res: ServerResponse, location: string): true {
  res.writeHead(303, { ...securityHeaders(deps.config), location });
  res.end();
  return true;
}

/** The pilot of a live session, or null (an ended or unknown session's cookie is cleared). */
export async function signedIn(
  deps: WebDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<SignedIn | null> {
  const cookie = sessionCookie(deps.config);
  const secret = readCookie(req, cookie.name);
  if (!secret) return null;
  const check = await resolveSession(deps.db.fork(), secret);
  if (!check.ok) {
    setSessionCookie(res, cookie, '', 0);
    return null;
  }
  return {
    user: check.user,
    secret,
    sessionId: check.session.id,
    viewer: {
      characterName: check.user.characterName,
      characterId: check.user.characterId,
      csrfToken: check.csrfToken,
    },
  };
}

/** An urlencoded form body, at most 16 KiB; null when larger or of another type. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (type !== 'application/x-www-form-urlencoded') return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The guard of every state-changing request: from the portal's own origin, by a signed-in pilot,
 * with the CSRF token of their session. Answers the refusal itself and returns null.
 */
export async function guardedForm(
  deps: WebDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ me: SignedIn; form: URLSearchParams } | null> {
  if (!sameOrigin(req, deps.config)) {
    sendHtml(
      deps,
      res,
      403,
      problemPage(
        null,
        'Request refused',
        html`<p>This request came from another site, so Roster refused it.</p>`,
      ),
    );
    return null;
  }
  const me = await signedIn(deps, req, res);
  const form = await readForm(req);
  if (!me) {
    sendHtml(
      deps,
      res,
      403,
      problemPage(
        null,
        'You are not logged in',
        html`<p>Your session has ended (logged out, expired or revoked). Log in again.</p>`,
        html`<p><a class="button" href="/auth/login">Log in with EVE Online</a></p>`,
      ),
    );
    return null;
  }
  if (!form || !csrfTokenMatches(me.secret, form.get('csrf'))) {
    sendHtml(
      deps,
      res,
      403,
      problemPage(
        me.viewer,
        'This form has expired',
        html`<p>
          The form's security token does not match your session, so nothing was changed. Go back, reload the
          page and try again.
        </p>`,
      ),
    );
    return null;
  }
  return { me, form };
}

export const wantsHtml = (req: IncomingMessage): boolean =>
  String(req.headers.accept ?? '').includes('text/html');

export const clientIp = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';
