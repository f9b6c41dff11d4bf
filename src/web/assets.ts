/** The portal's own static files (one stylesheet, one script), read once; no CDN, no build step. */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebDeps } from './deps.ts';
import { securityHeaders } from './security.ts';

const files = new Map(
  (
    [
      ['portal.css', 'text/css; charset=utf-8'],
      ['portal.js', 'text/javascript; charset=utf-8'],
    ] as const
  ).map(([name, type]) => [
    `/assets/${name}`,
    { type, body: readFileSync(new URL(`./assets/${name}`, import.meta.url)) },
  ]),
);

export function serveAsset(deps: WebDeps, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const file = files.get(path);
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  res.writeHead(200, {
    ...securityHeaders(deps.config),
    'content-type': file.type,
    'cache-control': 'public, max-age=300',
    'content-length': String(file.body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
