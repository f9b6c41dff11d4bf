/**
 * A plan says what the run will do: for random target options (Discord `setNicknames`,
 * `concurrency`; TeamSpeak `messageNicknames`, `maxIdsPerCommand`), random mapping modes and random
 * platform states, the changes a run applies are exactly the changes a dry run planned just
 * before it. Real engine and adapters against the fakes, on PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createDiscordTarget } from '../../src/sync/discord/index.ts';
import { createReconciler, type RunResult } from '../../src/sync/engine.ts';
import { snowflake, startFakeDiscord } from '../fakes/discord/index.ts';
import { startFakeTeamspeak } from '../fakes/teamspeak/index.ts';
import { createTeamspeakTarget } from '../../src/sync/teamspeak/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addCorporation, addGroup, addMapping, addTeamspeakLink, addUser } from '../support/rows.ts';
import type { PlanSummary } from '../../src/sync/summary.ts';

const logger = createLogger({ level: 'silent' });
const permissive = { maxRemovalShare: 1, maxRemovals: 1_000_000, removalGraceMinutes: 0 } as const;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('postgresql');
});
afterAll(async () => t?.dispose());

/** One person: in the directory group or not, on the platform or not, in the role already or not. */
const personArb = fc.record({
  inGroup: fc.boolean(),
  present: fc.boolean(),
  hasRole: fc.boolean(),
  nick: fc.constantFrom<'tickered' | 'other' | 'none'>('tickered', 'other', 'none'),
});
const worldArb = fc.record({
  people: fc.array(personArb, { minLength: 1, maxLength: 6 }),
  mode: fc.constantFrom<'managed' | 'grantOnly'>('managed', 'grantOnly'),
  roleExists: fc.boolean(),
});

let worlds = 0;
let nextCorporationId = 97_800_001;

/** Set-wise: what the plan said would change, and what a run reported it changed. */
function planned(plan: PlanSummary | null) {
  return {
    adds: plan?.adds.flatMap((a) => a.accountIds).toSorted() ?? [],
    removes: plan?.removes.flatMap((r) => r.accountIds).toSorted() ?? [],
    nicknames: plan?.nicknames.map((n) => n.accountId).toSorted() ?? [],
  };
}

function expectAppliedAsPlanned(dry: RunResult, run: RunResult) {
  expect(run.status, run.errors.join('; ')).toBe('applied');
  expect(run.report?.skipped).toEqual([]);
  expect(planned(run.plan)).toEqual(planned(dry.plan));
  expect({
    adds: run.report?.added,
    removes: run.report?.removed,
    nicknames: run.report?.nicknamesChanged,
  }).toEqual({
    adds: dry.plan?.counts.adds,
    removes: dry.plan?.counts.removes,
    nicknames: dry.plan?.counts.nicknames,
  });
}

describe('applied changes equal planned changes, for random target options', () => {
  it('Discord', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        async (world, setNicknames, concurrency) => {
          const name = `pa-discord-${++worlds}`;
          const fake = await startFakeDiscord();
          const target = createDiscordTarget(
            {
              name,
              token: fake.botToken,
              guildId: fake.guild.id,
              apiBaseUrl: fake.url,
              setNicknames,
              concurrency,
              backoffBaseMs: 10,
              backoffMaxMs: 40,
            },
            logger,
          );
          try {
            const em = t.db.fork();
            const corp = addCorporation(em, nextCorporationId++, { ticker: 'CORP', authorizedToLogin: true });
            const users = world.people.map((p, i) =>
              addUser(em, `Pilot ${worlds}-${i}`, {
                corporationId: corp.corporationId,
                discordUserId: snowflake(),
              }),
            );
            const group = addGroup(
              em,
              `Pilots ${name}`,
              users.filter((_, i) => world.people[i]!.inGroup).map((u) => u.id),
            );
            addMapping(em, group.id, 'discord', name, { displayName: 'Pilots', mode: world.mode });
            await em.flush();
            const role = world.roleExists ? fake.guild.addRole({ name: 'Pilots' }) : null;
            world.people.forEach((p, i) => {
              if (!p.present) return;
              const user = users[i]!;
              const nick =
                p.nick === 'tickered'
                  ? `[CORP] ${user.characterName}`
                  : p.nick === 'other'
                    ? 'someone'
                    : null;
              fake.guild.addMember({
                id: user.discordUserId!,
                nick,
                roles: role && p.hasRole ? [role.id] : [],
              });
            });

            const reconciler = createReconciler(t.db, [target], permissive, logger);
            const dry = await reconciler.run('discord', name, { dryRun: true });
            if (!setNicknames) expect(dry.plan?.counts.nicknames).toBe(0);
            const run = await reconciler.run('discord', name);
            expectAppliedAsPlanned(dry, run);
            // And the platform shows it: the next plan has nothing left to do.
            const after = await reconciler.run('discord', name, { dryRun: true });
            expect(after.plan?.counts).toMatchObject({ adds: 0, removes: 0, nicknames: 0, creates: 0 });
          } finally {
            await target.stop();
            await fake.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it('TeamSpeak', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (world, messageNicknames, maxIdsPerCommand) => {
          const name = `pa-teamspeak-${++worlds}`;
          const fake = await startFakeTeamspeak({ flood: { commands: 1000, windowMs: 100 } });
          const target = createTeamspeakTarget(
            {
              name,
              host: fake.host,
              queryPort: fake.port,
              username: 'serveradmin',
              password: 'secret',
              commandsPerWindow: 1000,
              windowMs: 100,
              messageNicknames,
              maxIdsPerCommand,
            },
            logger,
          );
          try {
            await target.start();
            const em = t.db.fork();
            const people = world.people.map((p, i) => {
              const user = addUser(em, `Pilot ${worlds}-${i}`, { authorizedToLogin: true });
              const nickname =
                p.nick === 'tickered' ? user.characterName : p.nick === 'other' ? `someone ${i}` : `x ${i}`;
              const { cldbid } = fake.addDbClient({ nickname });
              if (p.present) fake.connectClient({ nickname, cldbid });
              addTeamspeakLink(em, user.id, name, cldbid);
              return { user, cldbid };
            });
            const group = addGroup(
              em,
              `Pilots ${name}`,
              people.filter((_, i) => world.people[i]!.inGroup).map((p) => p.user.id),
            );
            addMapping(em, group.id, 'teamspeak', name, { displayName: 'Pilots', mode: world.mode });
            await em.flush();
            if (world.roleExists)
              fake.createServerGroup('Pilots', {
                members: people.filter((_, i) => world.people[i]!.hasRole).map((p) => p.cldbid),
              });

            const reconciler = createReconciler(t.db, [target], permissive, logger);
            const dry = await reconciler.run('teamspeak', name, { dryRun: true });
            if (!messageNicknames) expect(dry.plan?.counts.nicknames).toBe(0);
            const run = await reconciler.run('teamspeak', name);
            expectAppliedAsPlanned(dry, run);
            expect(fake.messages().length).toBe(run.report?.nicknamesChanged);
          } finally {
            await target.stop();
            await fake.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});
