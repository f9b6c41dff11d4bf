import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createContext } from './context.ts';
import type { ApiDeps } from './deps.ts';
import { currentLogContext, withLogContext } from '../logger.ts';
import { bodyRefusal } from './body-limit.ts';
import { createAuthLimiter } from '../services/auth/rate-limit.ts';
import { appRouter } from './router.ts';

/** A plain route beside tRPC (health, metrics, OAuth callbacks); returns false when it does not match. */
/**
 * Answers with JSON, never cached; returns true, a route's "handled". The one JSON writer of the
 * plain routes (SSO callback, Discord link pages, portal API answers).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): true {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
  return true;
}

export type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface ControlPlaneEvents {
  onRequest?(info: { path: string; code: string; ms: number }): void;
}

export interface ControlPlane {
  readonly server: Server;
  start(): Promise<string>;
  stop(): Promise<void>;
  url(): string;
}

/** The daemon's one HTTP server: tRPC under /trpc, and the extra routes given; every request's body is size-checked first. */
export function createControlPlane(
  deps: ApiDeps,
  routes: readonly HttpRoute[] = [],
  events: ControlPlaneEvents = {},
): ControlPlane {
  const limiter = createAuthLimiter(deps.config.controlPlane.maxAuthFailuresPerMinute);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: ({ req }) =>
      createContext(deps, limiter, req, currentLogContext().requestId ?? crypto.randomUUID()),
    onError({ error, path, ctx }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (ctx?.log ?? deps.logger).error(
          { err: error.cause ?? error, path },
          'unexpected error in a procedure',
        );
      }
    },
    responseMeta({ errors, type }) {
      return errors.length === 0 && type === 'query' ? { headers: { 'cache-control': 'no-store' } } : {};
    },
  });

  const server = createServer((req, res) => {
    // Every line logged while this request is handled carries its id, whichever logger writes it.
    const requestId = crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    withLogContext({ requestId }, () => handle(req, res));
  });

  function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.on('finish', () => {
      if (url.pathname.startsWith('/trpc/')) {
        events.onRequest?.({
          path: url.pathname.slice('/trpc/'.length),
          code: String(res.statusCode),
          ms: performance.now() - started,
        });
      }
    });
    const refusal = bodyRefusal(req, deps.config.controlPlane.maxBodyBytes);
    if (refusal) {
      // Closing the connection spares reading (and discarding) the rest of a large upload.
      res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(refusal.body));
      return;
    }
    void (async () => {
      for (const route of routes) if (await route(req, res, url)) return;
      if (url.pathname.startsWith('/trpc/')) return trpc(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    })().catch((error: unknown) => {
      deps.logger.error({ err: error, path: url.pathname }, 'HTTP route failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    });
  }
  server.keepAliveTimeout = 5_000;

  let address = '';
  let stopping: Promise<void> | null = null;
  return {
    server,
    async start() {
      if (address) return address;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.config.controlPlane.port, deps.config.controlPlane.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      address = `http://${host}:${info.port}`;
      return address;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return stopping;
    },
    url: () => address,
  };
}
