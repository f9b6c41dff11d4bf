import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogFile, renderCatalog } from '../../scripts/gen-cli-catalog.ts';

describe("rosterctl's procedure catalogue", () => {
  it('is what the router describes today (else: npm run cli:catalog)', async () => {
    expect(readFileSync(catalogFile, 'utf8')).toBe(await renderCatalog());
  });
});
