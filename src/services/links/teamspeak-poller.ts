import type { Logger } from '../../logger.ts';
import type { Database } from '../../store/orm.ts';
import type { TeamspeakLinkPorts } from '../../domain/link-ports.ts';
import { forgivingNotifier, type Notifier } from '../notifier.ts';
import { completePendingTeamspeakLinks } from './teamspeak.ts';

export interface TeamspeakLinkPollerOptions {
  readonly db: Database;
  readonly links: TeamspeakLinkPorts;
  /** 0 turns the periodic check off (users still complete with teamspeak.completeLink). */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Told of each link made (its target syncs); a failed request is logged, the link stands. */
  readonly notifier: Notifier;
}

export interface TeamspeakLinkPoller {
  start(): void;
  stop(): Promise<void>;
  /** One check now; never throws. */
  tick(): Promise<number>;
}

/**
 * Completes pending TeamSpeak links whose nickname shows up, every `intervalMs`. It asks a
 * target for its online clients only while a link is pending there. Never throws: a failed
 * check is logged and the next one tries again.
 */
export function createTeamspeakLinkPoller(options: TeamspeakLinkPollerOptions): TeamspeakLinkPoller {
  const log = options.logger.child({ area: 'teamspeak-links' });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  const notifier = forgivingNotifier(options.notifier, (error, { target }) =>
    log.warn({ err: error, target }, 'teamspeak: could not request a sync after a link'),
  );

  async function check(): Promise<number> {
    try {
      const { linked, unavailable } = await completePendingTeamspeakLinks(
        options.db.fork(),
        options.links,
        notifier,
      );
      if (unavailable.length)
        log.warn(
          { targets: unavailable },
          'teamspeak: pending links could not be checked; the next check retries',
        );
      for (const link of linked)
        log.info(
          { userId: link.userId, target: link.target },
          'teamspeak: link completed by the periodic check',
        );
      return linked.length;
    } catch (error) {
      log.warn({ err: error }, 'teamspeak: periodic link check failed; the next one retries');
      return 0;
    }
  }

  const tick = (): Promise<number> => {
    running ??= check().finally(() => {
      running = null;
    });
    return running;
  };

  return {
    start() {
      if (timer || options.intervalMs <= 0) return;
      timer = setInterval(() => void tick(), options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    tick,
  };
}
