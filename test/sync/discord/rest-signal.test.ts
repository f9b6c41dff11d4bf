import { getEventListeners } from 'node:events';
import { Routes } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDiscordOptions } from '../../../src/sync/discord/options.ts';
import { DiscordRest } from '../../../src/sync/discord/rest-client.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/index.ts';
import { fastLimits } from './harness.ts';

describe("the REST client and its caller's signal", () => {
  let fake: FakeDiscord;
  let api: DiscordRest;
  beforeAll(async () => {
    fake = await startFakeDiscord({ rateLimits: fastLimits });
    api = new DiscordRest(
      resolveDiscordOptions({
        name: 'signals',
        token: fake.botToken,
        guildId: fake.guild.id,
        apiBaseUrl: fake.url,
      }),
    );
  });
  afterAll(async () => {
    api?.close();
    await fake?.close();
  });

  it('leaves no listener on a long-lived signal after its requests (one signal serves the whole target)', async () => {
    const lifetime = new AbortController();
    for (let i = 0; i < 5; i++)
      await api.rest.get(Routes.guildRoles(fake.guild.id), { signal: lifetime.signal });
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
  });

  it('still aborts a request in flight when that signal is aborted', async () => {
    const lifetime = new AbortController();
    // Discord answers 429 with a long retry_after: the request waits inside @discordjs/rest.
    fake.faults.rateLimitStorm(1, { retryAfterMs: 1_500 });
    const request = api.rest.get(Routes.guildRoles(fake.guild.id), { signal: lifetime.signal });
    const outcome = request.then(
      () => 'answered',
      (error: unknown) => (error as Error).name,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(1);
    lifetime.abort();
    expect(await outcome).toBe('AbortError');
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
  });
});
