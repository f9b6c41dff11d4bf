import type { EntityManager } from '@mikro-orm/core';
import { noticeText } from '../domain/index.ts';
import type { Logger } from '../logger.ts';
import { Group, GroupNotice } from '../store/entities/index.ts';
import { loadAccounts, snapshotId } from './inputs.ts';
import type { PlatformTarget } from './target.ts';

export interface NoticeRound {
  readonly sent: number;
  /** Members not online (TeamSpeak): tried again at the next round, until the removal. */
  readonly offline: number;
  readonly refused: number;
  readonly failed: number;
}

/**
 * Delivers the notices the rebuild gave (services/removals.ts) on each target where the member has
 * an account and that has not delivered it yet; each target records its delivery on the notice.
 * Never throws: a platform that fails is tried at the next round.
 */
export async function deliverNotices(
  em: EntityManager,
  targets: readonly PlatformTarget[],
  logger?: Logger,
  now: Date = new Date(),
): Promise<NoticeRound> {
  const round = { sent: 0, offline: 0, refused: 0, failed: 0 };
  const notices = await em.find(GroupNotice, { removeAt: { $gt: now } }, { orderBy: { createdAt: 'asc' } });
  if (notices.length === 0) return round;
  const groups = await em.find(
    Group,
    { id: { $in: [...new Set(notices.map((n) => n.groupId))] } },
    { fields: ['id', 'name'] },
  );
  for (const target of targets) {
    const key = snapshotId(target.platform, target.name);
    const due = notices.filter((n) => !n.deliveredTo.includes(key));
    if (due.length === 0) continue;
    const accountOf = await loadAccounts(em, target.platform, target.name);
    for (const notice of due) {
      const account = accountOf.get(notice.userId);
      if (account === undefined) continue;
      const text = noticeText({
        groupName: groups.find((g) => g.id === notice.groupId)?.name ?? notice.groupId,
        reason: notice.reason,
        detail: notice.detail,
        removeAt: notice.removeAt,
      });
      try {
        const delivery = await target.sendNotice(account, text);
        if (delivery.status === 'offline') round.offline++;
        else {
          // A refusal (DMs closed) is not retried every round either.
          notice.deliveredTo = [...notice.deliveredTo, key];
          if (delivery.status === 'sent') round.sent++;
          else {
            round.refused++;
            logger?.info({ target: key, userId: notice.userId, reason: delivery.reason }, 'notice refused');
          }
        }
      } catch (error) {
        round.failed++;
        logger?.warn({ err: error, target: key, userId: notice.userId }, 'notice not delivered');
      }
    }
    await em.flush();
  }
  return round;
}
