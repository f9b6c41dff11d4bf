import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupDemo, type Demo } from '../../scripts/demo.ts';
import { client } from './helpers.ts';

/** `npm run demo` as a newcomer gets it: embedded PGlite, the fakes, the first reconcile. */
describe('the demo', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await setupDemo({ dataDir: ':memory:' });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  const teamspeakGroup = (name: string) => demo.teamspeak.serverGroups().find((g) => g.name === name);
  const tsNames = (cldbids: readonly string[]) =>
    cldbids.map((id) => demo.directory.teamspeakNames.get(id)).sort();
  const discordRole = (name: string) => [...demo.discord.guild.roles.values()].find((r) => r.name === name);
  const discordHolders = (roleId: string) =>
    [...demo.discord.guild.members.values()]
      .filter((m) => m.roles.includes(roleId))
      .map((m) => demo.directory.discordNames.get(m.user.id))
      .sort();

  it('runs on the embedded database and applies the first reconcile of both platforms', () => {
    expect(demo.roster.db.kind).toBe('embedded');
    expect(demo.runs.map((r) => [r.platform, r.target, r.status, r.errors])).toEqual([
      ['teamspeak', 'main', 'applied', []],
      ['discord', 'guild', 'applied', []],
    ]);
  });

  it('lands the server groups on the fake TeamSpeak: adopted by name, created, members of those who may log in', () => {
    expect(demo.runs[0]!.plan!.adopts.map((a) => a.name)).toEqual(['Fleet Commanders']);
    expect(demo.teamspeak.serverGroups().filter((g) => g.name === 'Fleet Commanders')).toHaveLength(1);
    expect(tsNames(teamspeakGroup('Fleet Commanders')!.members)).toEqual(['Aria Vex', 'Borin Kael']);
    // Eli Sorn is in Logistics but his login is denied: he gets nothing.
    expect(tsNames(teamspeakGroup('Logistics')!.members)).toEqual(['Borin Kael', 'Cyra Holt']);
    expect(tsNames(teamspeakGroup('Dawn Coalition')!.members)).toEqual([
      'Aria Vex',
      'Borin Kael',
      'Cyra Holt',
    ]);
    expect(tsNames(teamspeakGroup('NLA')!.members)).toEqual(['Aria Vex', 'Borin Kael']);
    // Stock groups nobody mapped stay as they were.
    expect(teamspeakGroup('Server Admin')!.members).toEqual([]);
    expect(
      demo.teamspeak
        .messages()
        .map((m) => m.targetNickname)
        .sort(),
    ).toEqual(['Cyra Holt', 'aria']);
  });

  it('lands the roles and nicknames on the fake Discord and leaves the unmanaged role alone', () => {
    expect(discordHolders(discordRole('Logistics')!.id)).toEqual(['Borin Kael', 'Cyra Holt', 'Dax Mercer']);
    expect(discordHolders(discordRole('Dawn Coalition')!.id)).toEqual([
      'Aria Vex',
      'Borin Kael',
      'Cyra Holt',
      'Dax Mercer',
    ]);
    expect(discordHolders(discordRole('BSUN')!.id)).toEqual(['Aria Vex', 'Borin Kael']);
    expect(discordHolders(discordRole('FROG')!.id)).toEqual(['Cyra Holt', 'Dax Mercer']);
    expect(discordHolders(discordRole('Moderators')!.id)).toEqual(['Cyra Holt']);
    const dax = [...demo.directory.discordNames].find(([, name]) => name === 'Dax Mercer')![0];
    expect(demo.discord.guild.members.get(dax)!.nick).toBe('[FROG] Dax Mercer');
  });

  it('prints what landed in a readable way', () => {
    const text = demo.report().join('\n');
    expect(text).toMatch(/Fleet Commanders +\d+ +Fleet Commanders +adopted +Aria Vex, Borin Kael/);
    expect(text).toMatch(/Directors .* created, grant only +Aria Vex/);
    expect(text).toContain('left alone (not mapped): Moderators, still on Cyra Holt');
    expect(text).toContain('Eli Sorn: login denied on the user');
  });

  it('hands out a superuser token the control plane (and so rosterctl) accepts', async () => {
    const status = await client(demo.url, demo.token).sync.status.query();
    expect(status.map((s) => [s.platform, s.target, s.connected, s.lastRun?.status])).toEqual([
      ['teamspeak', 'main', true, 'applied'],
      ['discord', 'guild', true, 'applied'],
    ]);
  });
});
