/** The TCP side of the fake: banner, line framing, flood checks, dispatch, command log, faults. */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { CommandContext, type HandlerTable, type Session } from './context.ts';
import { LINE_END, QueryError, errorLine, formatList, parseCommand } from './protocol.ts';
import { FloodGuard, type FloodOptions } from './flood.ts';
import { leaveServer, sessionCommands } from './commands-session.ts';
import { groupCommands } from './commands-groups.ts';
import { clientCommands } from './commands-clients.ts';
import type { FakeState } from './state.ts';

const WELCOME =
  'Welcome to the TeamSpeak 3 ServerQuery interface, type "help" for a list of commands and "help <command>" for information on a specific command.';

const handlers: HandlerTable = { ...sessionCommands, ...groupCommands, ...clientCommands };

export interface CommandLogEntry {
  readonly at: number;
  readonly session: number;
  readonly address: string;
  /** Virtual server selected when the command arrived. */
  readonly sid: number | null;
  readonly name: string;
  /** The raw line, with a login password masked. */
  readonly line: string;
  /** 0 when the command succeeded. */
  readonly errorId: number;
}

/** A planned misbehaviour for the next `times` commands of a name. */
export type Fault =
  | { kind: 'error'; id: number; msg: string; times: number }
  | { kind: 'drop'; times: number }
  | { kind: 'stall'; times: number };

function maskPassword(line: string, name: string): string {
  if (name !== 'login') return line;
  return line
    .replace(/(client_login_password=)\S*/, '$1***')
    .replace(/^(login\s+\S+\s+)(?!client_)\S+/, '$1***');
}

export class QueryServer {
  readonly log: CommandLogEntry[] = [];
  readonly faults = new Map<string, Fault[]>();
  readonly flood: FloodGuard;
  private readonly state: FakeState;
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private nextSession = 1;
  private readonly idleTimeoutMs: number;

  constructor(state: FakeState, flood: FloodOptions, idleTimeoutMs: number) {
    this.state = state;
    this.flood = new FloodGuard(flood);
    this.idleTimeoutMs = idleTimeoutMs;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    server.listen(port, host);
    await once(server, 'listening');
    this.server = server;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('fake TeamSpeak: no TCP address');
    return address.port;
  }

  /** Destroys every open connection; returns how many there were. */
  dropConnections(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return count;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.dropConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress?.replace(/^::ffff:/, '') ?? 'unknown';
    const banned = this.flood.banSecondsLeft(address);
    if (banned !== null) {
      const line = errorLine(3329, 'connection failed, you are banned', {
        extra_msg: `you may retry in ${banned} seconds`,
      });
      socket.end(line + LINE_END);
      socket.on('error', () => undefined);
      return;
    }
    this.sockets.add(socket);
    const session: Session = {
      id: this.nextSession++,
      address,
      remotePort: socket.remotePort ?? 0,
      account: null,
      sid: null,
      clid: null,
      nickname: null,
      commandTimes: [],
      closing: false,
    };
    socket.setEncoding('utf8');
    if (this.idleTimeoutMs > 0) {
      socket.setTimeout(this.idleTimeoutMs, () => socket.destroy());
    }
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline !== -1 && !socket.destroyed && !socket.writableEnded) {
        const line = buffer.slice(0, newline).replace(/\r/g, '');
        buffer = buffer.slice(newline + 1);
        if (line.trim() !== '') this.handleLine(socket, session, line);
        newline = buffer.indexOf('\n');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      leaveServer({ session, state: this.state });
    });
    socket.write(`TS3${LINE_END}${WELCOME}${LINE_END}`);
  }

  private handleLine(socket: Socket, session: Session, line: string): void {
    const cmd = parseCommand(line);
    const entry = {
      at: Date.now(),
      session: session.id,
      address: session.address,
      sid: session.sid,
      name: cmd.name,
    };
    const masked = maskPassword(line.trim(), cmd.name);
    if (this.flood.isFlooding(session.address, session.commandTimes, cmd.name)) {
      this.log.push({ ...entry, line: masked, errorId: 524 });
      const wait = Math.ceil((this.flood.banMs || this.flood.windowMs) / 1000);
      socket.write(
        errorLine(524, 'client is flooding', { extra_msg: `please wait ${wait} seconds` }) + LINE_END,
      );
      if (this.flood.banMs > 0) socket.end();
      return;
    }
    const fault = this.takeFault(cmd.name);
    if (fault?.kind === 'drop' || fault?.kind === 'stall') {
      this.log.push({ ...entry, line: masked, errorId: -1 });
      if (fault.kind === 'drop') socket.destroy();
      return;
    }
    let data = '';
    let error = new QueryError(0, 'ok');
    try {
      if (fault?.kind === 'error') throw new QueryError(fault.id, fault.msg);
      const handler = handlers[cmd.name];
      if (!handler) throw new QueryError(256, 'command not found');
      const records = handler(new CommandContext(cmd, session, this.state)) ?? [];
      data = records.length > 0 ? formatList(records) + LINE_END : '';
    } catch (err) {
      error = err instanceof QueryError ? err : new QueryError(1280, 'database error');
    }
    this.log.push({ ...entry, line: masked, errorId: error.id });
    socket.write(data + errorLine(error.id, error.message, error.extra) + LINE_END);
    if (session.closing) socket.end();
  }

  private takeFault(name: string): Fault | undefined {
    const queue = this.faults.get(name);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) queue.shift();
    return fault;
  }
}
