/**
 * One ServerQuery session: a fresh ts3-nodejs-library instance (raw protocol, its own keepalive
 * off), opened with connect -> login -> `use`, every step through the target's pacer. It tracks
 * the commands in flight so that a dropped socket or an unanswered command fails them at once
 * (the library would leave them pending forever).
 */
import { QueryProtocol, TeamSpeak } from 'ts3-nodejs-library';
import type { CommandPacer } from './pacer.ts';
import type { ResolvedTeamspeakOptions } from './options.ts';
import {
  QueryErrorId,
  TeamspeakConnectionError,
  describeError,
  errorId,
  parseErrorLine,
  toTeamspeakError,
} from './errors.ts';
import { createResponseParser } from './response-parser.ts';

export type QueryEntry = Readonly<Record<string, unknown>>;
export type QueryOptions = Record<string, string | number | string[] | undefined>;

export interface SessionHooks {
  /** Called for every command written, the library's own `version` on connect included. */
  onSend(): void;
  /** The socket closed (after a successful connect). */
  onClose(session: QuerySession): void;
  /** The server answered 524 although we paced. */
  onFlooding(message: string): void;
  onSocketError(message: string): void;
}

export class QuerySession {
  private readonly lib: TeamSpeak;
  readonly #options: ResolvedTeamspeakOptions; // holds the password: kept out of logs
  private readonly hooks: SessionHooks;
  private readonly inflight = new Set<(err: Error) => void>();
  /** The server's reason when it refused the connection (a flood ban: error 3329). */
  private refusal: string | null = null;
  /** The library's response parser makes ~2 KB of garbage per value: ours replaces it (same result). */
  private readonly parseResponse = createResponseParser();
  private readonly withOurParser = <P extends { response: unknown }>(parsers: P): P => ({
    ...parsers,
    response: this.parseResponse,
  });

  constructor(options: ResolvedTeamspeakOptions, hooks: SessionHooks) {
    this.#options = options;
    this.hooks = hooks;
    this.lib = new TeamSpeak({
      host: options.host,
      queryport: options.queryPort,
      protocol: QueryProtocol.RAW,
      keepAlive: false,
      autoConnect: false,
      readyTimeout: options.connectTimeoutMs,
    });
    this.lib.on('error', (err: unknown) => hooks.onSocketError(describeError(err)));
    this.lib.on('flooding', (err: unknown) => hooks.onFlooding(describeError(err)));
    this.lib.on('debug', (event: { type: string; data?: string }) => {
      const error = event.type === 'receive' && event.data ? parseErrorLine(event.data) : null;
      if (error?.id === QueryErrorId.banned) this.refusal = error.message;
    });
  }

  /** Seconds the server asked us to wait before trying again (a ban), else 0. */
  get retryAfterMs(): number {
    const seconds = this.refusal === null ? undefined : /(\d+) second/.exec(this.refusal)?.[1];
    return seconds ? Number(seconds) * 1000 : 0;
  }

  /** Connects, logs in and selects the virtual server; closes itself and throws a clear error on failure. */
  async open(pacer: CommandPacer): Promise<void> {
    const { connectTimeoutMs, nickname } = this.#options;
    try {
      await pacer.run(() => {
        this.hooks.onSend(); // the library sends `version` itself once the banner arrived
        return withTimeout(this.lib.connect(), connectTimeoutMs, () => this.lib.forceQuit());
      });
      this.lib.on('close', () => {
        this.failInflight(new TeamspeakConnectionError('connection-lost', 'TeamSpeak connection lost'));
        this.hooks.onClose(this);
      });
      await pacer.run(() => this.login());
      if (!(await pacer.run(() => this.use(nickname, false)))) {
        // A previous session of ours may linger after a dropped connection: take a variant.
        const suffix = `_${Math.floor(Math.random() * 1000)}`;
        await pacer.run(() => this.use(nickname.slice(0, 30 - suffix.length) + suffix, true));
      }
    } catch (err) {
      this.close();
      if (this.refusal !== null) {
        throw new Error(`refused by TeamSpeak (flood protection ban?): ${this.refusal}`, { cause: err });
      }
      throw err;
    }
  }

  send(command: string, options: QueryOptions = {}, flags: string[] = []): Promise<QueryEntry[]> {
    return new Promise<QueryEntry[]>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.inflight.delete(fail);
      };
      const fail = (err: Error): void => {
        settle();
        reject(err);
      };
      const { commandTimeoutMs } = this.#options;
      const timer = setTimeout(() => {
        fail(new TeamspeakConnectionError('timeout', `${command}: no answer within ${commandTimeoutMs} ms`));
        this.lib.forceQuit();
      }, commandTimeoutMs);
      this.inflight.add(fail);
      this.hooks.onSend();
      this.lib.execute(command, options, flags, this.withOurParser as never).then(
        (response: unknown) => {
          settle();
          resolve(
            Array.isArray(response) ? (response as QueryEntry[]) : response ? [response as QueryEntry] : [],
          );
        },
        (err: unknown) => fail(toTeamspeakError(command, err)),
      );
    });
  }

  /** Drops the socket; commands in flight fail. Idempotent. */
  close(reason = new TeamspeakConnectionError('connection-lost', 'TeamSpeak connection closed')): void {
    this.failInflight(reason);
    this.lib.forceQuit();
  }

  private failInflight(err: Error): void {
    for (const fail of [...this.inflight]) fail(err);
  }

  private async login(): Promise<void> {
    const { username, password } = this.#options;
    try {
      await this.send('login', { client_login_name: username, client_login_password: password });
    } catch (err) {
      throw new Error(`login as "${username}" failed: ${describeError(err)}`, { cause: err });
    }
  }

  /** `use sid=`; false when the nickname is taken and `retry` is false. */
  private async use(nickname: string, retry: boolean): Promise<boolean> {
    const { serverId } = this.#options;
    try {
      await this.send('use', { sid: serverId, client_nickname: nickname });
      return true;
    } catch (err) {
      if (errorId(err) === QueryErrorId.nicknameInUse && !retry) return false;
      throw new Error(`selecting virtual server ${serverId} failed: ${describeError(err)}`, { cause: err });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new TeamspeakConnectionError('timeout', `no ServerQuery greeting within ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
