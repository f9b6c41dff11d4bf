import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRule } from '../../src/domain/index.ts';

const doc = readFileSync(new URL('../../docs/GROUPS.md', import.meta.url), 'utf8');

/** docs/GROUPS.md's rules are rules: every example there parses as written. */
describe('docs/GROUPS.md', () => {
  it('gives rule examples that parseRule accepts, and the refusals it names', () => {
    const examples = [
      ...[...doc.matchAll(/```jsonc\n([\s\S]*?)```/g)].flatMap((m) =>
        m[1]!.split('\n').filter((line) => line.trim() && !line.trim().startsWith('//')),
      ),
      ...[...doc.matchAll(/^\| `\w+`\s*\|[^|]+\|\s*`(\{.*\})`\s*\|$/gm)].map((m) => m[1]!),
    ];
    expect(examples.length).toBeGreaterThanOrEqual(14);
    for (const text of examples) {
      const json = text.replaceAll('<coalition id>', 'k').replace(/<[a-z ]+id>/g, 'g');
      const parsed = parseRule(
        JSON.parse(json.replace(/\{ \.\.\., \.\.\. \}|\[ \.\.\., \.\.\. \]/g, '[{"guest":false}]')),
      );
      expect(parsed, text).toMatchObject({ ok: true });
    }
    const refusal = parseRule({ all: [{ guest: false }, { clearance: { min: 5, max: 2 } }] });
    expect(refusal).toMatchObject({ ok: false, path: 'all[1].clearance', problem: 'min is above max' });
    expect(doc).toContain('clause all[1].clearance: min is above max');
  });
});
