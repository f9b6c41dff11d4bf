import type { IncomingMessage } from 'node:http';

/**
 * The size check every request passes before any route or authentication sees it. A body must say
 * its length (Content-Length) and stay within the limit; Node's parser then never delivers more
 * than that length, so no route can be made to buffer an unbounded body. A chunked body (no
 * length up front) is refused: the control plane's clients (tRPC, browsers, Discord) all send one.
 */
export type BodyRefusal =
  | {
      readonly status: 413;
      readonly body: { error: 'payload-too-large'; maxBodyBytes: number; message: string };
    }
  | { readonly status: 411; readonly body: { error: 'length-required'; message: string } };

export function bodyRefusal(req: IncomingMessage, maxBodyBytes: number): BodyRefusal | null {
  const length = req.headers['content-length'];
  if (length === undefined) {
    if (req.headers['transfer-encoding'] === undefined) return null; // no body
    return {
      status: 411,
      body: { error: 'length-required', message: 'send the request body with a Content-Length header' },
    };
  }
  const bytes = Number(length);
  if (Number.isSafeInteger(bytes) && bytes <= maxBodyBytes) return null;
  return {
    status: 413,
    body: {
      error: 'payload-too-large',
      maxBodyBytes,
      message: `request bodies are limited to ${maxBodyBytes} bytes (controlPlane.maxBodyBytes)`,
    },
  };
}
