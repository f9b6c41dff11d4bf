import {
  createDiscordTarget,
  type DiscordTarget,
  type DiscordTargetOptions,
} from '../../../src/sync/discord/index.ts';
import type { ApplyBatch } from '../../../src/sync/target.ts';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../../fakes/discord/index.ts';

export interface Harness {
  readonly fake: FakeDiscord;
  readonly target: DiscordTarget;
  close(): Promise<void>;
}

/** Short windows so tests exercise the limits without waiting Discord's real 10 s. */
export const fastLimits = {
  memberEdit: { limit: 10, windowMs: 200 },
  route: { limit: 20, windowMs: 200 },
  global: { limit: 100, windowMs: 500 },
} as const;

export async function startHarness(
  options: { fake?: FakeDiscordOptions; target?: Partial<DiscordTargetOptions> } = {},
): Promise<Harness> {
  const fake = await startFakeDiscord({ rateLimits: fastLimits, ...options.fake });
  const target = createDiscordTarget({
    name: 'test-guild',
    token: fake.botToken,
    guildId: fake.guild.id,
    apiBaseUrl: fake.url,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    rateLimitOffsetMs: 5,
    ...options.target,
  });
  return {
    fake,
    target,
    close: async () => {
      await target.stop();
      await fake.close();
    },
  };
}

export function batch(partial: Partial<ApplyBatch>): ApplyBatch {
  return {
    runId: 'run-1',
    adds: [],
    removes: [],
    nicknames: [],
    reason: 'Roster run run-1: sync',
    ...partial,
  };
}

export const PATCH_MEMBER = 'PATCH /guilds/:guild/members/:user';
export const LIST_MEMBERS = 'GET /guilds/:guild/members';

/** The roles of a fake member (sorted), or undefined when not a member. */
export function rolesOf(fake: FakeDiscord, userId: string): string[] | undefined {
  return fake.guild.members.get(userId)?.roles.toSorted();
}
