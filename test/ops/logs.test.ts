import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import type { RunResult } from '../../src/sync/engine.ts';
import { setupDemo, type Demo } from '../../scripts/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLines, client } from './helpers.ts';

/**
 * A full daemon at debug level (fake TeamSpeak and Discord, the first reconcile, runs started
 * over the control plane) with every log line captured.
 */
describe('logs of a full sync', () => {
  const secrets = {
    teamspeakPassword: `ts-pass-${crypto.randomUUID()}`,
    discordToken: `discord-token-${crypto.randomUUID()}`,
  };
  const capture = captureLines();
  let t: TestDatabase;
  let demo: Demo;
  const runs: { requestId: string; run: RunResult }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    demo = await setupDemo({
      dataDir: ':memory:',
      databaseUrl: t.url,
      ...secrets,
      logger: createLogger({ level: 'trace', destination: capture.stream }),
    });
    // Put a hand edit on each platform so the runs over the API have work to do.
    const logistics = demo.teamspeak.serverGroups().find((g) => g.name === 'Logistics')!;
    demo.teamspeak.server().group(logistics.sgid).members.clear();
    const role = [...demo.discord.guild.roles.values()].find((r) => r.name === 'Logistics')!;
    for (const member of demo.discord.guild.members.values())
      member.roles = member.roles.filter((id) => id !== role.id);
    for (const target of [
      { platform: 'teamspeak', target: 'main' },
      { platform: 'discord', target: 'guild' },
    ] as const) {
      const res = await fetch(`${demo.url}/trpc/sync.run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(target),
      });
      const body = (await res.json()) as { result: { data: RunResult } };
      runs.push({ requestId: res.headers.get('x-request-id')!, run: body.result.data });
    }
    await client(demo.url, demo.token).system.config.query();
  });
  afterAll(async () => {
    await demo?.stop();
    await t?.dispose();
  });

  it('the runs over the API applied changes on both platforms (so there was something to log)', () => {
    expect(runs.map((r) => [r.run.platform, r.run.status, r.run.report!.added > 0])).toEqual([
      ['teamspeak', 'applied', true],
      ['discord', 'applied', true],
    ]);
    expect(capture.raw.length).toBeGreaterThan(10);
  });

  it('never contains the TeamSpeak password, the Discord token or the API token', () => {
    const text = capture.raw.join('\n');
    expect(text).not.toContain(secrets.teamspeakPassword);
    expect(text).not.toContain(secrets.discordToken);
    expect(text).not.toContain(demo.token);
  });

  it("gives every line of a run its runId, the platform adapters' lines included", () => {
    const lines = capture.lines();
    for (const { run } of runs) {
      const ofRun = lines.filter((l) => l.runId === run.runId);
      expect(ofRun.map((l) => l.msg)).toContain(`sync run ${run.status}`);
      // Lines the adapters write with their own loggers during the run.
      expect(ofRun.some((l) => /^(TeamSpeak|discord:)/.test(String(l.msg)))).toBe(true);
    }
    // Every line an adapter wrote while applying a batch carries a runId.
    const applyLines = lines.filter((l) =>
      /^(TeamSpeak batch applied|discord: applying)/.test(String(l.msg)),
    );
    expect(applyLines.length).toBeGreaterThanOrEqual(4);
    for (const line of applyLines) expect(line.runId).toEqual(expect.any(String));
  });

  it('gives every line of a request its requestId, the lines of a run it started included', () => {
    const lines = capture.lines();
    for (const { requestId, run } of runs) {
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const ofRun = lines.filter((l) => l.runId === run.runId);
      expect(ofRun.length).toBeGreaterThan(1);
      for (const line of ofRun) expect(line.requestId).toBe(requestId);
    }
  });

  it('writes each id once per line (no duplicate keys when a child logger already has it)', () => {
    for (const raw of capture.raw) {
      expect(raw.match(/"runId":/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(raw.match(/"requestId":/g)?.length ?? 0).toBeLessThanOrEqual(1);
    }
  });
});
