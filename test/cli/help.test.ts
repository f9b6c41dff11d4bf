import { describe, expect, it } from 'vitest';
import { appRouter } from '../../src/api/router.ts';
import { rosterctl } from './run.ts';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The lines of one router's section of the top-level help. */
function section(lines: readonly string[], router: string): string[] {
  const start = lines.indexOf(`  ${router}`);
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('    '));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe('rosterctl help', () => {
  it('lists every procedure of appRouter, read from the router itself, with its kind', async () => {
    const { code, stdout } = await rosterctl(['--help']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    // Read after the run: main loads lazy routers, so every procedure is in `_def.procedures` by now.
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    );
    expect(procedures.length).toBeGreaterThanOrEqual(20);
    for (const [path, procedure] of procedures) {
      const [router, ...action] = path.split('.');
      const pattern = new RegExp(`^    ${escape(action.join('.'))}\\s+${procedure._def.type}\\b`);
      expect(
        section(lines, router!).some((l) => pattern.test(l)),
        `${path} (${procedure._def.type}) in the help`,
      ).toBe(true);
    }
  });

  it('shows the input of an action: flags, types, required and defaults', async () => {
    const { code, stdout } = await rosterctl(['group', 'create', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^rosterctl group create --name <string> \[--description <string>\]/);
    expect(stdout).toMatch(/--name\s+string\s+required, 1-100 chars/);
    expect(stdout).toMatch(/--description\s+string\s+default "", ≤2000 chars/);
    expect(stdout).toMatch(/--authorizedToLogin\s+boolean\|null\s+default null/);

    const sync = await rosterctl(['help', 'sync', 'runs']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/--platform\s+teamspeak\|discord/);
    expect(sync.stdout).toMatch(/--limit\s+int 1\.\.500\s+default 100/);
  });

  it("shows a router's actions with their fields", async () => {
    const { code, stdout } = await rosterctl(['token', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('create (mutation)');
    expect(stdout).toMatch(/--kind\s+application\|user\s+default "user"/);
    expect(stdout).toContain('revoke (mutation)');
    expect(stdout).toContain('list (query)\n  no input');
  });

  it('answers a bare or unknown command with the help on stderr and exit 2', async () => {
    const bare = await rosterctl([]);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr).toContain('Routers and actions');

    const router = await rosterctl(['group']);
    expect(router.code).toBe(2);
    expect(router.stderr).toContain('addMembers (mutation)');

    const unknown = await rosterctl(['nope', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "nope" \(routers: [^)]*\bgroup\b[^)]*; or status\)/);

    const action = await rosterctl(['group', 'frobnicate']);
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('unknown action "frobnicate" of group');
    expect(action.stderr).toContain('see: rosterctl group --help');
  });

  it('refuses flags the input does not have before calling anyone', async () => {
    const { code, stderr } = await rosterctl(['group', 'create', '--name', 'x', '--colour', 'red'], {
      env: { ROSTER_URL: 'http://127.0.0.1:9' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'unknown flag --colour for group create (its flags: --name, --description, --authorizedToLogin)',
    );
    const noInput = await rosterctl(['system', 'health', '--verbose'], {
      env: { ROSTER_URL: 'http://127.0.0.1:9' },
    });
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('system.health takes no input');
  });
});
