/**
 * The ServerQuery connection of a target: one session at a time, reopened with exponential
 * backoff when it drops (a TeamSpeak restart included), kept alive when idle, and `exec()` that
 * sends every command through the target's one paced queue. Background work never throws:
 * failures land in `lastError`, the log and the events.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { backoffDelay } from '../../backoff.ts';
import { CommandPacer } from './pacer.ts';
import type { ResolvedTeamspeakOptions } from './options.ts';
import { TeamspeakConnectionError, describeError } from './errors.ts';
import { QuerySession, type QueryEntry, type QueryOptions } from './session.ts';

export type { QueryEntry, QueryOptions };

export interface TeamspeakEvents {
  'teamspeak:connected': [];
  'teamspeak:disconnected': [reason: string];
  'teamspeak:flooding': [message: string];
}

/** ±10 %: daemons (and an import's own connection) reconnecting after one TeamSpeak restart do not log in together. */
const RECONNECT_JITTER = { spread: 0.1 } as const;

export class TeamspeakConnection extends EventEmitter<TeamspeakEvents> {
  readonly pacer: CommandPacer;
  lastError: string | null = null;
  readonly #options: ResolvedTeamspeakOptions; // holds the password: kept out of logs
  private readonly logger: Logger | undefined;
  private readonly onReady: () => Promise<void>;
  private session: QuerySession | null = null;
  private opening: QuerySession | null = null;
  private started: Promise<void> | null = null;
  private stopping = false;
  private failures = 0;
  private retryNotBeforeMs = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private sent = 0;
  private floods = 0;
  private lastSendAt = 0;

  /** `onReady` runs after each successful connect (the start-up checks); it must not throw. */
  constructor(options: ResolvedTeamspeakOptions, onReady: () => Promise<void>, logger?: Logger) {
    super();
    this.#options = options;
    this.onReady = onReady;
    this.logger = logger;
    this.pacer = new CommandPacer(options);
  }

  get connected(): boolean {
    return this.session !== null;
  }

  /** Commands written to the server, the library's own `version` on connect included. */
  get commandsSent(): number {
    return this.sent;
  }

  /** Flood warnings the server sent since this connection was created. */
  get floodWarnings(): number {
    return this.floods;
  }

  /** First connection attempt; later ones run in the background. Never rejects. */
  start(): Promise<void> {
    this.started ??= this.attempt();
    return this.started;
  }

  /** Final: closes the session and rejects queued commands. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.pacer.close();
    const stopped = new TeamspeakConnectionError('stopped', 'TeamSpeak target stopped');
    for (const session of [this.session, this.opening]) session?.close(stopped);
    this.session = null;
    this.opening = null;
  }

  /** Sends one command through the paced queue; rejects with a typed error. */
  exec(command: string, options: QueryOptions = {}, flags: string[] = []): Promise<QueryEntry[]> {
    return this.pacer.run(() => {
      if (!this.session) {
        const why = this.lastError ? `: ${this.lastError}` : '';
        return Promise.reject(
          new TeamspeakConnectionError('not-connected', `not connected to TeamSpeak${why}`),
        );
      }
      return this.session.send(command, options, flags);
    });
  }

  private async attempt(): Promise<void> {
    if (this.stopping || this.session || this.opening) return;
    const session = new QuerySession(this.#options, {
      onSend: () => {
        this.sent += 1;
        this.lastSendAt = Date.now();
      },
      onClose: (closed) => this.closed(closed),
      onFlooding: (message) => this.flooded(message),
      onSocketError: (message) => this.logger?.debug({ error: message }, 'TeamSpeak socket error'),
    });
    this.opening = session;
    try {
      await session.open(this.pacer);
    } catch (err) {
      if (this.stopping) return;
      this.failures += 1;
      this.retryNotBeforeMs = session.retryAfterMs;
      this.lastError = describeError(err);
      this.logger?.warn({ attempt: this.failures, error: this.lastError }, 'TeamSpeak connection failed');
      this.scheduleReconnect();
      return;
    } finally {
      this.opening = null;
    }
    if (this.stopping) {
      session.close();
      return;
    }
    this.session = session;
    this.failures = 0;
    this.lastError = null;
    const every = Math.max(10, Math.floor(this.#options.keepAliveMs / 2));
    this.keepAliveTimer = setInterval(() => this.keepAlive(), every);
    this.keepAliveTimer.unref();
    this.logger?.info({ host: this.#options.host, serverId: this.#options.serverId }, 'TeamSpeak connected');
    this.emit('teamspeak:connected');
    await this.onReady();
  }

  private closed(session: QuerySession): void {
    if (this.session !== session) return;
    this.session = null;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    if (this.stopping) return;
    this.lastError = 'connection lost; reconnecting';
    this.logger?.warn({ host: this.#options.host }, 'TeamSpeak connection lost');
    this.emit('teamspeak:disconnected', 'connection lost');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    const { reconnectMinMs: minMs, reconnectMaxMs: maxMs } = this.#options;
    const jittered = backoffDelay(this.failures, { minMs, maxMs, jitter: RECONNECT_JITTER });
    const delay = Math.max(jittered, this.retryNotBeforeMs);
    this.retryNotBeforeMs = 0;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.attempt();
    }, delay);
  }

  private keepAlive(): void {
    const idle = Date.now() - this.lastSendAt >= this.#options.keepAliveMs;
    if (!this.session || this.pacer.queued > 0 || !idle) return;
    this.exec('version').catch((err: unknown) =>
      this.logger?.debug({ error: describeError(err) }, 'TeamSpeak keepalive failed'),
    );
  }

  private flooded(message: string): void {
    this.lastError = `flood protection triggered: ${message}`;
    this.logger?.warn(
      { error: message },
      'TeamSpeak flood protection triggered despite pacing; lower commandsPerWindow',
    );
    this.floods++;
    this.emit('teamspeak:flooding', message);
  }
}
