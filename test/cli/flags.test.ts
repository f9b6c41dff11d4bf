import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTRPC, lazy } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildInput } from '../../src/cli/args.ts';
import { catalogOf, type Catalog, type ProcedureInfo } from '../../src/cli/catalog.ts';
import { describeRouter } from '../../src/cli/describe-router.ts';
import { UsageError } from '../../src/cli/io.ts';

/** A router of its own, so these cases do not move when the real API does. */
const t = initTRPC.create();
const things = t.router({
  make: t.procedure
    .input(
      z
        .strictObject({
          name: z.string().min(1).describe('What it is called.'),
          count: z.number().int().min(1).default(1),
          tags: z.array(z.string()).default([]),
          refs: z.array(z.union([z.number().int().positive(), z.string()])).optional(),
          enabled: z.boolean().optional(),
          owner: z.string().nullable().optional(),
          extra: z.object({ a: z.number() }).optional(),
          userIds: z.array(z.string()).optional(),
        })
        .describe('Makes a thing.'),
    )
    .mutation(() => 1),
  get: t.procedure.input(z.strictObject({ id: z.string() })).query(() => 1),
  ping: t.procedure.query(() => 'pong'),
  echo: t.procedure.input(z.string()).query(({ input }) => input),
});
const testRouter = t.router({
  thing: things,
  later: lazy(async () =>
    t.router({ soon: t.procedure.input(z.strictObject({ n: z.number() })).query(() => 1) }),
  ),
});

describe('flags onto a zod input', () => {
  let catalog: Catalog;
  const procedure = (router: string, action: string): ProcedureInfo => catalog.find(router, action)!;
  const build = (action: string, tokens: string[]) =>
    buildInput(procedure('thing', action), tokens, process.cwd());

  beforeAll(async () => {
    catalog = catalogOf(await describeRouter(testRouter));
  });

  it('reads procedures, kinds, descriptions and lazy routers from the router', () => {
    expect(catalog.procedures.map((p) => `${p.path}:${p.type}`)).toEqual([
      'thing.make:mutation',
      'thing.get:query',
      'thing.ping:query',
      'thing.echo:query',
      'later.soon:query',
    ]);
    expect(procedure('thing', 'make').description).toBe('Makes a thing.');
    expect(procedure('thing', 'make').fields!.find((f) => f.name === 'name')).toMatchObject({
      required: true,
      description: 'What it is called.',
    });
    expect(procedure('thing', 'make').fields!.find((f) => f.name === 'count')).toMatchObject({
      required: false,
    });
    expect(procedure('thing', 'ping').takesInput).toBe(false);
    expect(procedure('thing', 'echo').fields).toBeNull();
  });

  it('parses numbers, booleans, null, lists (repeated or comma) and JSON objects', () => {
    const input = build('make', [
      '--name',
      'Scouts',
      '--count',
      '3',
      '--tags',
      'a,b',
      '--tags',
      'c',
      '--enabled',
      '--owner',
      'null',
      '--refs',
      '99000001,ABC',
      '--extra',
      '{"a":2}',
      '--user-ids',
      'u1',
    ]);
    expect(input).toEqual({
      name: 'Scouts',
      count: 3,
      tags: ['a', 'b', 'c'],
      enabled: true,
      owner: null,
      refs: [99000001, 'ABC'],
      extra: { a: 2 },
      userIds: ['u1'],
    });
  });

  it('takes booleans as --flag, --flag false, --flag=false and --no-flag', () => {
    expect(build('make', ['--name', 'x', '--enabled', '--count', '2'])).toEqual({
      name: 'x',
      enabled: true,
      count: 2,
    });
    expect(build('make', ['--enabled', 'false', '--name', 'x'])).toEqual({ enabled: false, name: 'x' });
    expect(build('make', ['--enabled=no'])).toEqual({ enabled: false });
    expect(build('make', ['--no-enabled'])).toEqual({ enabled: false });
  });

  it('merges --input JSON under the flags, and reads it from a file', () => {
    expect(build('make', ['--input', '{"name":"a","count":5,"tags":["x"]}', '--count', '7'])).toEqual({
      name: 'a',
      count: 7,
      tags: ['x'],
    });
    const dir = mkdtempSync(join(tmpdir(), 'rosterctl-input-'));
    writeFileSync(join(dir, 'in.json'), '{"name":"from file"}');
    expect(buildInput(procedure('thing', 'make'), ['--input', '@in.json'], dir)).toEqual({
      name: 'from file',
    });
    expect(build('echo', ['--input', '"hello"'])).toBe('hello');
  });

  it('fills id from a lone word, and sends {} for an object input without flags', () => {
    expect(build('get', ['01ABC'])).toEqual({ id: '01ABC' });
    expect(build('make', [])).toEqual({});
    expect(build('ping', [])).toBeUndefined();
  });

  it('refuses what cannot be right with a usage error naming the flag', () => {
    const usage = (tokens: string[], action = 'make') => {
      try {
        build(action, tokens);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error(`no usage error for ${tokens.join(' ')}`);
    };
    expect(usage(['--count', 'many'])).toBe('--count takes a number, not "many"');
    expect(usage(['--name', 'a', '--name', 'b'])).toBe('--name was given 2 times; it takes one value');
    expect(usage(['--colour', 'red'])).toMatch(
      /^unknown flag --colour for thing make \(its flags: --name, --count, /,
    );
    expect(usage(['--name'])).toBe('--name needs a value');
    expect(usage(['--extra', '{oops'])).toMatch(/^--extra is not valid JSON/);
    expect(usage(['--input', '[1]', '--name', 'x'])).toBe(
      '--input must be a JSON object when flags are given too',
    );
    expect(usage(['--x', '1'], 'ping')).toBe('thing.ping takes no input (no --x)');
    expect(usage(['--n', '1'], 'echo')).toBe("thing.echo takes its input as --input '<json>' only");
    expect(usage(['stray'], 'make')).toBe('unexpected argument "stray"');
  });
});
