import { describe, expect, it } from 'vitest';
import { createNotifier, forgivingNotifier, type FailedNotice } from '../../src/services/notifier.ts';
import { usersScope } from '../../src/sync/scope.ts';

describe('forgivingNotifier', () => {
  it('passes each request on, and reports one it could not make instead of throwing', async () => {
    const asked: string[] = [];
    const notifier = createNotifier({
      requestSync: async (platform, target, trigger) => {
        if (target === 'down') throw new Error('pg-boss is down');
        asked.push(`${platform}/${target ?? '*'}/${trigger}`);
      },
      requestRebuild: async (trigger) => void asked.push(`rebuild/${trigger}`),
    });
    const failed: { error: unknown; notice: FailedNotice }[] = [];
    const forgiving = forgivingNotifier(notifier, (error, notice) => void failed.push({ error, notice }));

    await forgiving.targetChanged('teamspeak', 'ts-main', 'teamspeak.link', usersScope(['u1']));
    await forgiving.membershipChanged('group.update');
    await forgiving.directoryChanged('user.setClearance');
    await expect(forgiving.targetChanged('teamspeak', 'down', 'teamspeak.link')).resolves.toBeUndefined();

    expect(asked).toEqual([
      'teamspeak/ts-main/teamspeak.link',
      'teamspeak/*/group.update',
      'discord/*/group.update',
      'rebuild/user.setClearance',
    ]);
    expect(failed).toEqual([
      { error: new Error('pg-boss is down'), notice: { trigger: 'teamspeak.link', target: 'down' } },
    ]);
  });
});
