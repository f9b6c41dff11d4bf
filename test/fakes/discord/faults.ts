/** Faults queued by a test; each request consumes at most one, in this order: drop, 5xx, 429. */
export class Faults {
  #drops: { mode: DropMode }[] = [];
  #errors: number[] = [];
  #storm: { left: number; retryAfterMs: number; global: boolean } = {
    left: 0,
    retryAfterMs: 0,
    global: false,
  };

  /**
   * Destroy the next `n` connections instead of answering: `reset` (TCP RST, ECONNRESET) or `close`
   * before handling the request; `after` handles it (state changes) and then resets: a lost answer.
   */
  dropNext(n: number, mode: DropMode = 'reset'): void {
    for (let i = 0; i < n; i++) this.#drops.push({ mode });
  }

  /** Answer the next `n` requests with `status` (5xx). */
  failNext(n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.#errors.push(status);
  }

  /** Answer the next `n` requests with 429 and `retry_after` = `retryAfterMs`. */
  rateLimitStorm(n: number, options: { retryAfterMs?: number; global?: boolean } = {}): void {
    this.#storm = { left: n, retryAfterMs: options.retryAfterMs ?? 100, global: options.global ?? false };
  }

  takeDrop(): DropMode | undefined {
    return this.#drops.shift()?.mode;
  }

  takeError(): number | undefined {
    return this.#errors.shift();
  }

  takeStorm(): { retryAfterMs: number; global: boolean } | undefined {
    if (this.#storm.left <= 0) return undefined;
    this.#storm.left--;
    return { retryAfterMs: this.#storm.retryAfterMs, global: this.#storm.global };
  }

  clear(): void {
    this.#drops = [];
    this.#errors = [];
    this.#storm.left = 0;
  }
}

export type DropMode = 'reset' | 'close' | 'after';
