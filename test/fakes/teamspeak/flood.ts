/**
 * ServerQuery flood protection as the real server applies it to query clients that are not
 * whitelisted: more than `commands` commands within `windowMs` on one connection is flooding; the
 * command is refused with error 524 and the address is banned for `banMs` (0 = refuse only).
 * The window slides, which is the strictest reading of "10 commands per 3 seconds".
 */

export interface FloodOptions {
  /** Commands allowed per window and connection (TeamSpeak's default: 10). */
  readonly commands?: number;
  /** Window length (TeamSpeak's default: 3 s). */
  readonly windowMs?: number;
  /** How long a flooding address stays banned (TeamSpeak's default: 600 s); 0 = no ban. */
  readonly banMs?: number;
  /** Addresses exempt from flood protection (the real `query_ip_allowlist.txt`). */
  readonly whitelist?: readonly string[];
}

export interface FloodEvent {
  readonly at: number;
  readonly address: string;
  readonly command: string;
}

export class FloodGuard {
  readonly commands: number;
  readonly windowMs: number;
  readonly banMs: number;
  readonly whitelist: Set<string>;
  readonly events: FloodEvent[] = [];
  private readonly banned = new Map<string, number>();

  constructor(options: FloodOptions = {}) {
    this.commands = options.commands ?? 10;
    this.windowMs = options.windowMs ?? 3000;
    this.banMs = options.banMs ?? 600_000;
    this.whitelist = new Set(options.whitelist ?? []);
  }

  /** Seconds left of a ban on this address, or null when it may connect. */
  banSecondsLeft(address: string, now = Date.now()): number | null {
    const until = this.banned.get(address);
    if (until === undefined) return null;
    if (until <= now) {
      this.banned.delete(address);
      return null;
    }
    return Math.ceil((until - now) / 1000);
  }

  /** Records one command of a connection; true when it floods (the caller refuses it). */
  isFlooding(address: string, times: number[], command: string, now = Date.now()): boolean {
    if (this.whitelist.has(address)) return false;
    while (times.length > 0 && (times[0] ?? 0) <= now - this.windowMs) times.shift();
    times.push(now);
    if (times.length <= this.commands) return false;
    this.events.push({ at: now, address, command });
    if (this.banMs > 0) this.banned.set(address, now + this.banMs);
    return true;
  }

  bans(): { address: string; until: number }[] {
    return [...this.banned].map(([address, until]) => ({ address, until }));
  }

  unban(address?: string): void {
    if (address === undefined) this.banned.clear();
    else this.banned.delete(address);
  }
}
