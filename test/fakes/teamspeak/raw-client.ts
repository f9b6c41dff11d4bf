/** A bare ServerQuery client for protocol-level tests: send a line, get the lines up to `error`. */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface RawReply {
  /** Data lines before the error line. */
  readonly data: string[];
  /** The `error id=.. msg=..` line. */
  readonly error: string;
}

export interface RawQueryClient {
  /** The lines the server sent on connect (banner and welcome, or a ban error). */
  readonly greeting: string[];
  send(line: string): Promise<RawReply>;
  /** Writes without waiting for a reply. */
  write(line: string): void;
  /** Resolves with the lines received once the server closed the connection. */
  closed(): Promise<string[]>;
  close(): void;
}

export async function openRawClient(port: number, host = '127.0.0.1'): Promise<RawQueryClient> {
  const socket: Socket = connect({ port, host });
  socket.setEncoding('utf8');
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  let ended = false;
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      const line = part.replace(/\r/g, '');
      if (line !== '') lines.push(line);
    }
    waiters.splice(0).forEach((wake) => wake());
  });
  socket.on('close', () => {
    ended = true;
    waiters.splice(0).forEach((wake) => wake());
  });
  socket.on('error', () => undefined);
  await once(socket, 'connect');

  const nextLines = async (until: (all: string[]) => boolean): Promise<void> => {
    while (!until(lines) && !ended) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  await nextLines((all) => all.length >= 2 || all.some((l) => l.startsWith('error')));
  const greeting = lines.splice(0, lines[0]?.startsWith('error') ? 1 : 2);

  return {
    greeting,
    async send(line) {
      socket.write(`${line}\n`);
      await nextLines((all) => all.some((l) => l.startsWith('error')));
      const index = lines.findIndex((l) => l.startsWith('error'));
      if (index === -1) throw new Error(`connection closed before a reply to ${line}`);
      const taken = lines.splice(0, index + 1);
      return { data: taken.slice(0, -1), error: taken[taken.length - 1] ?? '' };
    },
    write: (line) => void socket.write(`${line}\n`),
    async closed() {
      await nextLines(() => false);
      return lines.splice(0);
    },
    close: () => void socket.destroy(),
  };
}
