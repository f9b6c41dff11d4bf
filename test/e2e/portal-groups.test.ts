/**
 * Groups in the member portal, in a real headless Chromium against the demo's daemon (fake EVE
 * SSO, fake Discord): a pilot joins and leaves an open group, asks to join a request group with a
 * reason, its leader approves in the leaders' queue, and the role appears on the fake Discord.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupDemo, type Demo } from '../../scripts/demo.ts';
import { demoTargets } from '../../scripts/demo/seed.ts';
import { insertGroup, upsertMapping } from '../../src/services/groups.ts';
import { AuditEntry, Group, GroupMember, User } from '../../src/store/entities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const SHOTS = 'test-results/portal';

let db: TestDatabase;
let demo: Demo;
let browser: Browser;
const contexts: BrowserContext[] = [];
const cspViolations: string[] = [];
let openId: string;
let requestId: string;

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  contexts.push(ctx);
  await ctx.route('https://images.evetech.net/**', (route) => route.fulfill({ status: 404, body: '' }));
  const p = await ctx.newPage();
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text());
  });
  return p;
}

async function logIn(p: Page, pilot: string) {
  await p.goto(`${demo.url}/`);
  await p.getByRole('link', { name: 'Log in with EVE Online' }).click();
  await p.getByLabel(pilot).check();
  await p.getByRole('button', { name: 'Authorize' }).click();
  await p.waitForURL(`${demo.url}/account`);
}

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('postgresql');
  demo = await setupDemo({ dataDir: ':memory:', databaseUrl: db.url, linkPollSeconds: 1 });
  const em = demo.roster.db.fork();
  const dax = await em.findOneOrFail(User, { characterName: 'Dax Mercer' });
  const open = await insertGroup(em, {
    name: 'Mining Fleet',
    description: 'Rocks.',
    ownerId: dax.id,
    authorizedToLogin: null,
  });
  const interceptors = await insertGroup(em, {
    name: 'Interceptors',
    description: 'Fast tackle.',
    ownerId: dax.id,
    authorizedToLogin: null,
  });
  open.joinPolicy = 'open';
  interceptors.joinPolicy = 'request';
  await em.flush();
  await upsertMapping(em, interceptors.id, { platform: 'discord', target: demoTargets.discord }, [
    demoTargets.discord,
  ]);
  openId = open.id;
  requestId = interceptors.id;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}, 120_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  await browser?.close();
  await demo?.stop();
  await db?.dispose();
});

describe('groups in the member portal', () => {
  it('a member asks in the portal, a leader approves, the role appears on the fake Discord', async () => {
    const gale = await newPage();
    await logIn(gale, 'Gale Rhys');
    await gale.getByRole('button', { name: 'Link with Discord' }).click();
    await gale.waitForURL(/\/discord\/callback/);

    // An open group: join, then leave.
    await gale.getByRole('link', { name: 'Groups' }).click();
    await gale.getByRole('region', { name: 'Mining Fleet' }).getByRole('button', { name: 'Join' }).click();
    expect(await gale.locator('.notice').textContent()).toContain('You joined the group');
    const galeId = (await demo.roster.db.fork().findOneOrFail(User, { characterName: 'Gale Rhys' })).id;
    expect(await demo.roster.db.fork().count(GroupMember, { groupId: openId, userId: galeId })).toBe(1);
    await gale
      .getByRole('region', { name: 'Your groups' })
      .getByRole('row', { name: /Mining Fleet/ })
      .getByRole('button', { name: 'Leave' })
      .click();
    expect(await gale.locator('.notice').textContent()).toContain('You left the group');
    expect(await demo.roster.db.fork().count(GroupMember, { groupId: openId, userId: galeId })).toBe(0);

    // A request group: ask with a reason.
    const card = gale.getByRole('region', { name: 'Interceptors' });
    await card.getByLabel('Why you want to join').fill('I fly <b>interceptors</b> & tackle');
    await card.getByRole('button', { name: 'Ask to join' }).click();
    expect(await gale.locator('.notice').textContent()).toContain('You asked to join');
    expect(await gale.getByRole('region', { name: 'Interceptors' }).textContent()).toContain(
      'You asked; a leader decides.',
    );
    await shot(gale, '11-groups');

    // Its leader approves in the queue.
    const dax = await newPage();
    await logIn(dax, 'Dax Mercer');
    await dax.getByRole('link', { name: 'Groups' }).click();
    await dax.getByRole('link', { name: 'Requests waiting for you as a leader' }).click();
    const row = dax.getByRole('row', { name: /Gale Rhys/ });
    // The member's words are text, not markup.
    expect(await row.textContent()).toContain('I fly <b>interceptors</b> & tackle');
    await shot(dax, '12-leader-queue');
    await row.getByRole('button', { name: 'Approve' }).click();
    expect(await dax.locator('.notice').textContent()).toContain('Approved');
    expect(await dax.locator('main').textContent()).toContain('No request is waiting.');
    expect(await demo.roster.db.fork().count(GroupMember, { groupId: requestId, userId: galeId })).toBe(1);
    expect(
      (await demo.roster.db.fork().find(AuditEntry, { subject: `group:${requestId}` })).map((e) => e.action),
    ).toEqual(expect.arrayContaining(['group.request', 'group.approveRequest']));

    // The next sync gives her the role on Discord.
    const group = await demo.roster.db.fork().findOneOrFail(Group, { id: requestId });
    let roles: (string | undefined)[] = [];
    for (let i = 0; i < 240 && !roles.includes(group.name); i++) {
      await new Promise((r) => setTimeout(r, 250));
      const member = demo.discord.guild.members.get(demo.discordUserId);
      roles = (member?.roles ?? []).map((id) => demo.discord.guild.roles.get(id)?.name);
    }
    expect(roles).toContain('Interceptors');
    await gale.goto(`${demo.url}/groups`);
    const mine = gale.getByRole('region', { name: 'Your groups' });
    expect(await mine.getByRole('row', { name: /Interceptors/ }).count()).toBe(1);
    expect(
      await gale
        .getByRole('region', { name: 'Your requests' })
        .getByRole('row', { name: /Interceptors/ })
        .textContent(),
    ).toContain('approved');
    expect(cspViolations).toEqual([]);
  });

  it('refuses a form without its CSRF token and changes nothing', async () => {
    const p = await newPage();
    await logIn(p, 'Gale Rhys');
    const answer = await p.request.post(`${demo.url}/groups/join`, {
      form: { id: openId, csrf: 'forged' },
      headers: { origin: demo.url },
    });
    expect(answer.status()).toBe(403);
    const galeId = (await demo.roster.db.fork().findOneOrFail(User, { characterName: 'Gale Rhys' })).id;
    expect(await demo.roster.db.fork().count(GroupMember, { groupId: openId, userId: galeId })).toBe(0);
  });
});
