/**
 * Headers every portal response carries, and the session cookie. The Content-Security-Policy
 * allows nothing but the daemon's own script, style and forms (plus the EVE image server for
 * character portraits, and the Discord authorization page a link form is redirected to):
 * no inline script, no other origin, no framing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/schema.ts';

/** EVE character portraits; the one image origin the pages use. */
export const EVE_IMAGES = 'https://images.evetech.net';

export function portalBaseUrl(config: Config): URL {
  return new URL(
    config.controlPlane.publicUrl || `http://${config.controlPlane.host}:${config.controlPlane.port}`,
  );
}

export function contentSecurityPolicy(config: Config): string {
  const discord = [
    ...new Set(
      config.discord.targets.filter((t) => t.oauthClientId).map((t) => new URL(t.apiBaseUrl).origin),
    ),
  ];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' ${EVE_IMAGES}`,
    "connect-src 'self'",
    // A form's redirect is checked against form-action too: the Discord link goes to Discord.
    ["form-action 'self'", ...discord].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function securityHeaders(config: Config): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

export interface CookieNames {
  readonly name: string;
  readonly secure: boolean;
}

/** `__Host-` and Secure on https (the cookie then never leaves TLS and belongs to this host only). */
export function sessionCookie(config: Config): CookieNames {
  const secure = portalBaseUrl(config).protocol === 'https:';
  return { name: secure ? '__Host-roster_session' : 'roster_session', secure };
}

export function setSessionCookie(
  res: ServerResponse,
  cookie: CookieNames,
  value: string,
  maxAgeSeconds: number,
): void {
  const parts = [
    `${cookie.name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (cookie.secure) parts.push('Secure');
  res.setHeader('set-cookie', parts.join('; '));
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * A state-changing request must come from the portal's own pages: a cross-site `Sec-Fetch-Site`
 * or a foreign `Origin` is refused before the CSRF token is even looked at.
 */
export function sameOrigin(req: IncomingMessage, config: Config): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const own = portalBaseUrl(config).origin;
  const host = req.headers.host;
  return (
    origin === own || (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`))
  );
}
