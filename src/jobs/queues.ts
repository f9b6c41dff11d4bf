import type { Config } from '../config/schema.ts';

/** Queue names; cron schedules enqueue into the same queues the control plane uses. */
export const queues = {
  sync: 'sync',
  reconcile: 'reconcile',
  affiliations: 'esi.affiliations',
  esiRefresh: 'esi.refresh',
  autogroups: 'autogroups.rebuild',
  cleanup: 'cleanup',
  deadLetters: 'dead-letters',
} as const;

export type QueueName = (typeof queues)[keyof typeof queues];

/** Which cron line of the config drives which queue. */
export function schedules(config: Config): { queue: QueueName; cron: string }[] {
  return [
    { queue: queues.reconcile, cron: config.jobs.reconcileCron },
    { queue: queues.affiliations, cron: config.jobs.affiliationCron },
    { queue: queues.esiRefresh, cron: config.jobs.esiRefreshCron },
    { queue: queues.autogroups, cron: config.jobs.autogroupCron },
    { queue: queues.cleanup, cron: config.jobs.cleanupCron },
  ];
}
