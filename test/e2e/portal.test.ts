/**
 * The member portal in a real headless Chromium (Debian's chromium, driven by playwright-core)
 * against the demo's daemon: the fake EVE SSO (with its character picker and scope consent),
 * the fake TeamSpeak and the fake Discord. A pilot logs in, sees their groups, links TeamSpeak
 * (the test connects a fake client with the nickname the page shows) and Discord (OAuth2),
 * unlinks, logs out; the refusals, CSRF, cookie flags and headers are checked on the wire.
 * Each page's screenshot goes to test-results/portal/ (not committed).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupDemo, type Demo } from '../../scripts/demo.ts';
import { Corporation, User } from '../../src/store/entities/index.ts';
import { insertGroup, insertMembers } from '../../src/services/groups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const SHOTS = 'test-results/portal';
const MEMBERSHIP = 'esi-corporations.read_corporation_membership.v1';
/** A group name no page may render as markup. */
const HOSTILE = '<script>alert("x")</script> Ünïcødé “quotes” & 🚀';

let db: TestDatabase;
let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const cspViolations: string[] = [];
const dialogs: string[] = [];

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text());
  });
  p.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return p;
}

async function newContext(): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  // No internet here: EVE portraits (allowed by the CSP) are answered empty instead of hanging.
  await ctx.route('https://images.evetech.net/**', (route) => route.fulfill({ status: 404, body: '' }));
  return ctx;
}

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** Logs in through the fake EVE login page as `pilot`, unticking the scopes in `untick`. */
async function logIn(p: Page, pilot: string, untick: readonly string[] = []) {
  await p.goto(`${demo.url}/`);
  await p.getByRole('link', { name: 'Log in with EVE Online' }).click();
  await p.getByLabel(pilot).check();
  for (const scope of untick) await p.getByLabel(scope).uncheck();
  await p.getByRole('button', { name: 'Authorize' }).click();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('postgresql');
  demo = await setupDemo({ dataDir: ':memory:', databaseUrl: db.url, linkPollSeconds: 1 });
  // A group with a hostile, Unicode name, which Gale Rhys is in.
  const em = demo.roster.db.fork();
  const gale = await em.findOneOrFail(User, { characterName: 'Gale Rhys' });
  const group = await insertGroup(em, {
    name: HOSTILE,
    description: '',
    ownerId: gale.id,
    authorizedToLogin: null,
  });
  await insertMembers(em, group.id, [gale.id]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context = await newContext();
  page = await newPage(context);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await db?.dispose();
});

describe('the member portal in Chromium', () => {
  it('serves the start page with strict security headers', async () => {
    const response = (await page.goto(`${demo.url}/`))!;
    expect(response.status()).toBe(200);
    const headers = response.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
    expect(headers['x-frame-options']).toBe('DENY');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/groups/);
    await shot(page, '01-home');
  });

  it('logs a pilot in through EVE SSO with the default config and shows who they are and their groups', async () => {
    await logIn(page, 'Gale Rhys');
    await page.waitForURL(`${demo.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Gale Rhys');
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain('[NLA] Gale Rhys');
    expect(text).toContain('Blue Sun Logistics [BSUN]');
    expect(text).toContain('Dawn Coalition [DAWN]');
    expect(text).toContain('You may log in');
    expect(text).toContain('Logistics');
    // Every value is escaped: the hostile group name is text, not markup.
    expect(text).toContain(HOSTILE);
    expect(await page.locator('script').count()).toBe(1);
    expect(dialogs).toEqual([]);
    // The session cookie: HttpOnly, SameSite=Lax, not Secure on plain http.
    const cookie = (await context.cookies()).find((c) => c.name === 'roster_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    expect(await page.evaluate('document.cookie')).toBe('');
    await shot(page, '02-account');
  });

  it('links TeamSpeak: the page shows a nickname and updates by itself when a client connects with it', async () => {
    await page.getByRole('button', { name: 'Link TeamSpeak' }).click();
    const nickname = (await page.locator('[data-nickname]').textContent())!.trim();
    expect(nickname).toMatch(/^roster-[a-z2-7]{10}$/);
    await shot(page, '03-teamspeak-nickname');
    const url = page.url();
    const client = demo.teamspeak.connectClient({ nickname });
    await page.locator('[data-teamspeak-link][data-state="linked"]').waitFor({ timeout: 20_000 });
    expect(page.url()).toBe(url); // no reload
    expect(await page.locator('[data-live]').textContent()).toMatch(/^Linked/);
    await shot(page, '04-teamspeak-linked');
    // The groups arrive on the fake TeamSpeak.
    await expect
      .poll(() => demo.teamspeak.serverGroups().find((g) => g.name === 'Logistics')?.members ?? [], {
        timeout: 20_000,
      })
      .toContain(client.cldbid);
  });

  it('links Discord through OAuth2: joins the guild with the roles in one go', async () => {
    await page.goto(`${demo.url}/account`);
    await page.getByRole('button', { name: 'Link with Discord' }).click();
    await page.waitForURL(/\/discord\/callback/);
    expect(await page.locator('.notice').textContent()).toMatch(
      /Discord account gale\.rhys is linked\. You were added to the Discord server with your roles\./,
    );
    const member = demo.discord.guild.members.get(demo.discordUserId)!;
    const roles = member.roles.map((id) => demo.discord.guild.roles.get(id)?.name);
    expect(roles).toEqual(expect.arrayContaining(['Logistics', 'Dawn Coalition', 'BSUN']));
    expect(await page.locator('main').textContent()).toContain(demo.discordUserId);
    await shot(page, '05-discord-linked');
  });

  it('explains in words why the pilot lacks a role', async () => {
    await page.getByRole('link', { name: "Why don't I have…?" }).first().click();
    const text = (await page.locator('main').textContent())!.replace(/\s+/g, ' ');
    expect(text).toContain('You have Logistics, Dawn Coalition, NLA.');
    expect(text).toContain(
      'Fleet Commanders (group Fleet Commanders): you are not a member of Fleet Commanders.',
    );
    await shot(page, '06-why');
  });

  it('refuses a forged CSRF token and a cross-site POST, and changes nothing', async () => {
    const forged = await page.request.post(`${demo.url}/account/discord/unlink`, {
      form: { csrf: 'forged', target: 'guild' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('This form has expired');

    // An attacker's page on another site posts a form to the portal.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form method="post" action="${demo.url}/account/discord/unlink"><input name="target" value="guild"><button>Win a titan</button></form>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerPage = await newPage(context);
    try {
      await attackerPage.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      const [answer] = await Promise.all([
        attackerPage.waitForResponse((r) => r.url().endsWith('/account/discord/unlink')),
        attackerPage.getByRole('button', { name: 'Win a titan' }).click(),
      ]);
      expect(answer.status()).toBe(403);
      expect(await attackerPage.locator('main').textContent()).toContain('came from another site');
    } finally {
      await attackerPage.close();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
    const gale = await demo.roster.db.fork().findOneOrFail(User, { characterName: 'Gale Rhys' });
    expect(gale.discordUserId).toBe(demo.discordUserId);
  });

  it('creates a personal API token (shown once) that works, and revokes it', async () => {
    await page.goto(`${demo.url}/account/tokens`);
    await page.getByLabel('What it is for').fill('my fleet tool');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.locator('[data-new-token]').textContent())!.trim();
    expect(secret).toMatch(/^rst_/);
    await shot(page, '07-tokens');
    const ok = await fetch(`${demo.url}/trpc/token.list`, { headers: { authorization: `Bearer ${secret}` } });
    expect(ok.status).toBe(200);
    await page.goto(`${demo.url}/account/tokens`);
    await page
      .getByRole('row', { name: /my fleet tool/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    const revoked = await fetch(`${demo.url}/trpc/token.list`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(revoked.status).toBe(401);
  });

  it('unlinks TeamSpeak and Discord, then logs out', async () => {
    await page.goto(`${demo.url}/account`);
    await page
      .getByRole('region', { name: 'TeamSpeak main' })
      .getByRole('button', { name: 'Unlink' })
      .click();
    expect(await page.locator('.notice').textContent()).toContain('TeamSpeak identity is unlinked');
    await page.getByRole('button', { name: 'Unlink Discord' }).click();
    expect(await page.locator('.notice').textContent()).toContain('Discord account is unlinked');
    const gale = await demo.roster.db.fork().findOneOrFail(User, { characterName: 'Gale Rhys' });
    expect(gale.discordUserId ?? null).toBeNull();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${demo.url}/`);
    expect((await context.cookies()).find((c) => c.name === 'roster_session')).toBeUndefined();
    await page.goto(`${demo.url}/account`);
    expect(page.url()).toBe(`${demo.url}/`);
  });

  it('asks for missing scopes with a button, and logs in after the second consent', async () => {
    await demo.roster.db
      .fork()
      .nativeUpdate(Corporation, { ticker: 'FROG' }, { mandatoryEsiScopes: [MEMBERSHIP] });
    const ctx = await newContext();
    const p = await newPage(ctx);
    try {
      await logIn(p, 'Dax Mercer');
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('More ESI access is needed');
      expect(await p.locator('main').textContent()).toContain(MEMBERSHIP);
      await shot(p, '08-missing-scopes');
      await p.getByRole('link', { name: 'Grant the scopes and log in' }).click();
      expect(await p.getByLabel(MEMBERSHIP).isChecked()).toBe(true);
      await p.getByLabel('Dax Mercer').check();
      await p.getByRole('button', { name: 'Authorize' }).click();
      await p.waitForURL(`${demo.url}/account`);
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Dax Mercer');
    } finally {
      await ctx.close();
    }
  });

  it('shows a denied pilot why, and a plain 404', async () => {
    const ctx = await newContext();
    const p = await newPage(ctx);
    try {
      const [callback] = await Promise.all([
        p.waitForResponse((r) => r.url().includes('/auth/callback')),
        logIn(p, 'Eli Sorn'),
      ]);
      expect(callback.status()).toBe(403);
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('You may not log in');
      expect(await p.locator('main').textContent()).toContain('denied by user');
      await shot(p, '09-denied');
      const missing = (await p.goto(`${demo.url}/no/such/page`))!;
      expect(missing.status()).toBe(404);
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
      await shot(p, '10-not-found');
    } finally {
      await ctx.close();
    }
    expect(cspViolations).toEqual([]);
  });

  it('keeps JSON for API clients: the callback and unknown addresses answer JSON unless a browser asks', async () => {
    const callback = await fetch(`${demo.url}/auth/callback?code=x&state=nope`, {
      headers: { accept: 'application/json' },
    });
    expect(callback.status).toBe(400);
    expect(await callback.json()).toMatchObject({ error: 'invalid-state' });
    const missing = await fetch(`${demo.url}/no/such/page`);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    expect(missing.status).toBe(404);
  });

  it('reads well at phone width', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true });
    await ctx.route('https://images.evetech.net/**', (route) => route.fulfill({ status: 404, body: '' }));
    const p = await newPage(ctx);
    try {
      await logIn(p, 'Gale Rhys');
      await p.waitForURL(`${demo.url}/account`);
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await shot(p, '11-account-phone');
    } finally {
      await ctx.close();
    }
  });
});
