/**
 * `npm run screenshots`: the README's member portal screenshots (docs/), taken in
 * headless Chromium against the demo: the demo pilot logged in, TeamSpeak linked, Discord linked.
 */
import { chromium } from 'playwright-core';
import { setupDemo } from './demo.ts';

const demo = await setupDemo({ dataDir: ':memory:', linkPollSeconds: 1 });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  // No internet here: a plain tile stands in for the EVE portrait.
  const tile =
    '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><rect width="128" height="128" fill="#8fa3b5"/></svg>';
  await context.route('https://images.evetech.net/**', (route) =>
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body: tile }),
  );
  const page = await context.newPage();
  await page.goto(`${demo.url}/`);
  await page.getByRole('link', { name: 'Log in with EVE Online' }).click();
  await page.getByLabel('Gale Rhys').check();
  await page.getByRole('button', { name: 'Authorize' }).click();
  await page.getByRole('button', { name: 'Link TeamSpeak' }).click();
  const nickname = (await page.locator('[data-nickname]').textContent())!.trim();
  demo.teamspeak.connectClient({ nickname });
  await page.locator('[data-teamspeak-link][data-state="linked"]').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: 'docs/portal-teamspeak-link.png', fullPage: true });
  await page.goto(`${demo.url}/account`);
  await page.getByRole('button', { name: 'Link with Discord' }).click();
  await page.waitForURL(/\/discord\/callback/);
  await page.screenshot({ path: 'docs/portal-account.png', fullPage: true });
} finally {
  await browser.close();
  await demo.stop();
}
