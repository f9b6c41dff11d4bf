/** What the demo's first reconcile left on the fake platforms, as lines a person reads. */
import type { EntityManager } from '@mikro-orm/core';
import { Group, GroupMapping } from '../../src/store/entities/index.ts';
import type { RunResult } from '../../src/sync/engine.ts';
import type { FakeDiscord } from '../../test/fakes/discord/index.ts';
import type { FakeTeamspeak } from '../../test/fakes/teamspeak/index.ts';
import { demoTargets, type DemoDirectory } from './seed.ts';

export interface LandedGroup {
  readonly directoryGroup: string;
  readonly platformName: string;
  readonly platformGroupId: string;
  readonly how: 'created' | 'adopted' | 'kept';
  readonly mode: 'managed' | 'grantOnly';
  /** Pilot names (or raw account ids of accounts the demo did not seed). */
  readonly members: string[];
}

export interface Landed {
  readonly teamspeak: LandedGroup[];
  readonly discord: LandedGroup[];
}

/** Reads the mapped groups back from the fakes (not from the database): what really landed. */
export async function landed(
  em: EntityManager,
  ts: FakeTeamspeak,
  discord: FakeDiscord,
  dir: DemoDirectory,
  runs: readonly RunResult[],
): Promise<Landed> {
  const mappings = await em.find(GroupMapping, {}, { orderBy: { platform: 'asc', id: 'asc' } });
  const groups = new Map((await em.find(Group, {})).map((g) => [g.id, g.name]));
  const how = (platform: string, mappingId: string): LandedGroup['how'] => {
    const plan = runs.find((r) => r.platform === platform)?.plan;
    if (plan?.creates.some((c) => c.mappingId === mappingId)) return 'created';
    if (plan?.adopts.some((a) => a.mappingId === mappingId)) return 'adopted';
    return 'kept';
  };
  const name = (names: Map<string, string>) => (account: string) =>
    names.get(account) ?? `account ${account}`;
  const result: Landed = { teamspeak: [], discord: [] };
  for (const m of mappings) {
    if (!m.platformGroupId) continue;
    const base = {
      directoryGroup: groups.get(m.groupId) ?? m.groupId,
      platformGroupId: m.platformGroupId,
      how: how(m.platform, m.id),
      mode: m.mode,
    };
    if (m.platform === 'teamspeak' && m.target === demoTargets.teamspeak) {
      const group = ts.serverGroups().find((g) => g.sgid === m.platformGroupId);
      if (group)
        result.teamspeak.push({
          ...base,
          platformName: group.name,
          members: group.members.map(name(dir.teamspeakNames)),
        });
    } else if (m.platform === 'discord' && m.target === demoTargets.discord) {
      const role = discord.guild.roles.get(m.platformGroupId);
      if (!role) continue;
      const members = [...discord.guild.members.values()]
        .filter((mem) => mem.roles.includes(role.id))
        .map((mem) => mem.user.id);
      result.discord.push({
        ...base,
        platformName: role.name,
        members: members.map(name(dir.discordNames)).sort(),
      });
    }
  }
  return result;
}

function table(rows: string[][], indent = '    '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

const describeRun = (run: RunResult | undefined) =>
  run
    ? `${run.status}, ${run.callsIssued} platform calls` + (run.reason ? ` (${run.reason})` : '')
    : 'no run';

export function formatLanded(
  l: Landed,
  ts: FakeTeamspeak,
  discord: FakeDiscord,
  dir: DemoDirectory,
  runs: readonly RunResult[],
): string[] {
  const rows = (groups: LandedGroup[]) => [
    ['group on the platform', 'id', 'from directory group', '', 'members'],
    ...groups.map((g) => [
      g.platformName,
      g.platformGroupId,
      g.directoryGroup,
      `${g.how}${g.mode === 'grantOnly' ? ', grant only' : ''}`,
      g.members.join(', ') || '-',
    ]),
  ];
  const lines = [
    `TeamSpeak: fake ServerQuery on ${ts.host}:${ts.port}, target "${demoTargets.teamspeak}": ${describeRun(runs.find((r) => r.platform === 'teamspeak'))}`,
    ...table(rows(l.teamspeak)),
    `    left alone (not mapped): ${dir.unmanaged.teamspeak.join(', ')}`,
  ];
  for (const m of ts.messages()) lines.push(`    private message to "${m.targetNickname}": ${m.msg}`);
  lines.push(
    '',
    `Discord: fake guild "${discord.guild.name}" at ${discord.url}, target "${demoTargets.discord}": ${describeRun(runs.find((r) => r.platform === 'discord'))}`,
    ...table(rows(l.discord)),
  );
  const nicknames = [...dir.discordNames].flatMap(([id, pilot]) => {
    const nick = discord.guild.members.get(id)?.nick;
    return nick ? [`${pilot} -> "${nick}"`] : [];
  });
  lines.push(`    nicknames: ${nicknames.join(', ') || '-'}`);
  const moderators = [...discord.guild.roles.values()].find((r) => r.name === 'Moderators');
  const kept = [...discord.guild.members.values()].filter(
    (m) => moderators && m.roles.includes(moderators.id),
  );
  lines.push(
    `    left alone (not mapped): Moderators, still on ${kept.map((m) => dir.discordNames.get(m.user.id) ?? m.user.id).join(', ') || 'nobody'}`,
  );
  lines.push('', 'Not synced anywhere:', ...dir.notSynced.map((n) => `    ${n.name}: ${n.why}`));
  return lines;
}
