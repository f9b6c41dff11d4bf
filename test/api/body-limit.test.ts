import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordLinkRoutes } from '../../src/api/discord-routes.ts';
import type { HttpRoute } from '../../src/api/http.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

/** A raw request: a body of `bytes` bytes, sent with a Content-Length or chunked. */
function send(
  url: string,
  path: string,
  bytes: number,
  options: { chunked?: boolean; method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: options.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(bytes) }),
        ...options.headers,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = bytes;
    const write = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, chunk.length));
        left -= part.length;
        if (!req.write(part)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('request bodies are limited before authentication, on every route', () => {
  let api: TestApi;
  let reached = 0;
  beforeAll(async () => {
    api = await startTestApi({
      config: { controlPlane: { maxBodyBytes: 4096 } },
      routes: (deps) => {
        // A route that would read its body: it must never see one over the limit.
        const probe: HttpRoute = (req, res, url) => {
          if (url.pathname !== '/probe') return false;
          reached++;
          res.writeHead(204).end();
          return true;
        };
        return [...discordLinkRoutes(deps), probe];
      },
    });
  });
  afterAll(async () => api?.stop());

  it.each(['/trpc/group.create', '/discord/interactions', '/auth/callback', '/probe'])(
    '%s answers 413 to a body over controlPlane.maxBodyBytes, without a token',
    async (path) => {
      const { status, body } = await send(api.url, path, 8192);
      expect(status).toBe(413);
      expect(JSON.parse(body)).toMatchObject({ error: 'payload-too-large', maxBodyBytes: 4096 });
      expect(reached).toBe(0);
    },
  );

  it('answers 413 before looking at a token (a bad token is not even counted)', async () => {
    const { status } = await send(api.url, '/trpc/group.create', 8192, {
      headers: { authorization: 'Bearer rst_wrong' },
    });
    expect(status).toBe(413);
  });

  it('asks for the length of a body sent without one (chunked), so no body is read unbounded', async () => {
    const { status, body } = await send(api.url, '/probe', 1_000_000, { chunked: true });
    expect(status).toBe(411);
    expect(JSON.parse(body)).toMatchObject({ error: 'length-required' });
    expect(reached).toBe(0);
  });

  it('lets a body within the limit through', async () => {
    expect((await send(api.url, '/probe', 100)).status).toBe(204);
    expect(reached).toBe(1);
    const created = await api.client((await api.user({ clearanceLevel: 9 })).token).group.create.mutate({
      name: 'Within Limits',
    });
    expect(created.name).toBe('Within Limits');
  });
});
