/**
 * One paced queue per ServerQuery connection: every command of a target goes through it, one at
 * a time, in order, and never faster than the server's flood budget.
 *
 * It is a token bucket whose tokens come back one by one: `limit` tokens, each returning
 * `window` after it was spent. So no window of that length ever holds more than `limit`
 * commands, however the window is laid over them (TeamSpeak counts "N commands per T seconds"),
 * and bursts up to `limit` go out at once. The limit keeps one command of slack below the
 * server's budget and the window a margin above its length, for clock and network jitter.
 */

export interface PacerOptions {
  /** The server's budget: commands per window. */
  readonly commandsPerWindow: number;
  readonly windowMs: number;
}

export interface PacerBudget {
  readonly limit: number;
  readonly windowMs: number;
}

/** The budget the pacer actually uses: one command of slack, 10 % (at least 100 ms) of margin. */
export function pacedBudget(options: PacerOptions): PacerBudget {
  const slack = options.commandsPerWindow >= 3 ? 1 : 0;
  const margin = Math.max(100, Math.ceil(options.windowMs * 0.1));
  return { limit: options.commandsPerWindow - slack, windowMs: options.windowMs + margin };
}

export class PacerClosedError extends Error {
  constructor() {
    super('command queue closed');
    this.name = 'PacerClosedError';
  }
}

export class CommandPacer {
  readonly budget: PacerBudget;
  /** When each of the last `limit` tokens was spent. */
  private readonly spent: number[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  private lastRunAt = 0;

  constructor(options: PacerOptions) {
    this.budget = pacedBudget(options);
  }

  /** Commands waiting or running. */
  get queued(): number {
    return this.pending;
  }

  /** When the last task started (ms since epoch), 0 if none did. */
  get lastActivity(): number {
    return this.lastRunAt;
  }

  /** Runs `task` once it is its turn and a token is free; rejects with PacerClosedError after close(). */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PacerClosedError());
    this.pending += 1;
    const result = this.tail.then(async () => {
      await this.takeToken();
      this.lastRunAt = Date.now();
      return task();
    });
    const settle = (): void => {
      this.pending -= 1;
    };
    this.tail = result.then(settle, settle);
    return result;
  }

  /** Rejects every queued task; a running one finishes. Idempotent. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async takeToken(): Promise<void> {
    for (;;) {
      if (this.closed) throw new PacerClosedError();
      const now = Date.now();
      while (this.spent.length > 0 && (this.spent[0] ?? 0) + this.budget.windowMs <= now) this.spent.shift();
      if (this.spent.length < this.budget.limit) {
        this.spent.push(now);
        return;
      }
      await this.sleep((this.spent[0] ?? now) + this.budget.windowMs - now);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.wake = done;
    });
  }
}
