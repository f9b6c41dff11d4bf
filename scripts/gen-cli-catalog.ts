// Writes src/cli/procedures.json: every procedure of the daemon's router as data, so rosterctl
// needs the router as a type only. test/cli/catalog.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { appRouter } from '../src/api/router.ts';
import { describeRouter } from '../src/cli/describe-router.ts';

export const catalogFile = new URL('../src/cli/procedures.json', import.meta.url);

export const renderCatalog = async (): Promise<string> =>
  `${JSON.stringify(await describeRouter(appRouter), null, 2)}\n`;

if (import.meta.main) {
  writeFileSync(catalogFile, await renderCatalog());
  console.log(`wrote ${catalogFile.pathname}`);
}
