import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  manualGroupNameProblem,
  tickeredName,
  truncateName,
  uniqueTruncatedNames,
} from '../../src/domain/index.ts';

const codePoints = (s: string) => [...s].length;

describe('tickeredName', () => {
  it('prefers the alliance ticker, then the corporation ticker, then the bare name', () => {
    const alice = { characterName: 'Alice', clearanceLevel: 0 };
    expect(tickeredName(alice, { ticker: 'CORP' }, { ticker: 'ALLY' })).toBe('[ALLY] Alice');
    expect(tickeredName(alice, { ticker: 'CORP' }, undefined)).toBe('[CORP] Alice');
    expect(tickeredName(alice, undefined, undefined)).toBe('Alice');
    expect(tickeredName(alice, undefined, { ticker: 'ALLY' })).toBe('[ALLY] Alice');
  });

  it('gives a guest a name that does not pass for a member of the host (no ticker, marked guest)', () => {
    const guest = { characterName: 'Visitor', clearanceLevel: -1 };
    expect(tickeredName(guest, { ticker: 'CORP' }, { ticker: 'ALLY' })).toBe('(guest) Visitor');
    expect(tickeredName(guest, { ticker: 'CORP' }, undefined)).toBe('(guest) Visitor');
    expect(tickeredName(guest, undefined, undefined)).toBe('(guest) Visitor');
    // The mark survives the platform's length limit: it comes first.
    expect(
      truncateName(tickeredName({ ...guest, characterName: 'A'.repeat(37) }, undefined, undefined), 32),
    ).toMatch(/^\(guest\) A+…$/);
  });
});

describe('truncateName', () => {
  it('keeps a name that fits, trimmed', () => {
    expect(truncateName('Fleet Commanders', 30)).toBe('Fleet Commanders');
    expect(truncateName('  padded  ', 6)).toBe('padded');
    expect(truncateName('exactly10!', 10)).toBe('exactly10!');
  });

  it('cuts to the limit with an ellipsis, without a dangling space', () => {
    expect(truncateName('Fleet Commanders', 10)).toBe('Fleet Com…');
    expect(truncateName('Fleet Commanders', 7)).toBe('Fleet…');
    expect(truncateName('abcdefghijk', 10)).toBe('abcdefghi…');
  });

  it('counts code points, not UTF-16 units', () => {
    const name = '🚀🚀🚀🚀🚀 Rockets';
    expect(truncateName(name, 13)).toBe(name);
    expect(truncateName(name, 7)).toBe('🚀🚀🚀🚀🚀…');
    expect(truncateName('Ωμέγα', 5)).toBe('Ωμέγα');
  });

  it('never exceeds the limit (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (name, max) => {
          const out = truncateName(name, max);
          expect(codePoints(out)).toBeLessThanOrEqual(max);
          if (codePoints(name.trim()) <= max) expect(out).toBe(name.trim());
          else expect(out.endsWith('…')).toBe(true);
        },
      ),
    );
  });
});

describe('uniqueTruncatedNames', () => {
  it('cuts clashing names predictably with " 2", " 3", ... in the order of the keys', () => {
    const names = uniqueTruncatedNames(
      [
        { key: 'm3', name: 'Capital Fleet Commanders of the North' },
        { key: 'm1', name: 'Capital Fleet Commanders of the South' },
        { key: 'm2', name: 'capital fleet commanders of the west' },
        { key: 'm4', name: 'Logistics' },
      ],
      20,
    );
    expect(Object.fromEntries(names)).toEqual({
      m1: 'Capital Fleet Comma…',
      m2: 'capital fleet com… 2',
      m3: 'Capital Fleet Com… 3',
      m4: 'Logistics',
    });
  });

  const entries = fc.uniqueArray(
    fc.record({
      key: fc.string({ minLength: 1, maxLength: 6 }),
      // A small alphabet makes clashes (also case-only ones) frequent.
      name: fc.string({ unit: fc.constantFrom('a', 'A', 'b', ' ', '2', 'é', '🚀'), maxLength: 40 }),
    }),
    { selector: (e) => e.key, maxLength: 30 },
  );

  it('gives every key a unique name (ignoring case) within the limit, deterministically (property)', () => {
    fc.assert(
      fc.property(
        entries,
        fc.integer({ min: 8, max: 40 }),
        fc.func(fc.integer()),
        (list, max, shuffleKey) => {
          const out = uniqueTruncatedNames(list, max);
          expect(new Set(out.keys())).toEqual(new Set(list.map((e) => e.key)));
          const lowered = [...out.values()].map((n) => n.toLowerCase());
          expect(new Set(lowered).size).toBe(lowered.length);
          for (const name of out.values()) expect(codePoints(name)).toBeLessThanOrEqual(max);
          // The same entries in any order give the same names.
          const shuffled = [...list].sort((a, b) => shuffleKey(a.key) - shuffleKey(b.key));
          expect(uniqueTruncatedNames(shuffled, max)).toEqual(out);
        },
      ),
    );
  });

  it('changes nothing but the truncation when no names clash (property)', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 8, max: 40 }), (list, max) => {
        const truncated = list.map((e) => truncateName(e.name, max).toLowerCase());
        fc.pre(new Set(truncated).size === truncated.length);
        const out = uniqueTruncatedNames(list, max);
        for (const e of list) expect(out.get(e.key)).toBe(truncateName(e.name, max));
      }),
    );
  });
});

describe('manualGroupNameProblem', () => {
  it('accepts ordinary names up to 100 characters', () => {
    expect(manualGroupNameProblem('Fleet Commanders')).toBeNull();
    expect(manualGroupNameProblem('x'.repeat(100))).toBeNull();
    expect(manualGroupNameProblem('Members of the board')).toBeNull();
  });

  it('refuses empty, too long, colon and built-in names (any case, any padding)', () => {
    expect(manualGroupNameProblem('')).toMatch(/empty/);
    expect(manualGroupNameProblem('   ')).toMatch(/empty/);
    expect(manualGroupNameProblem('x'.repeat(101))).toMatch(/100/);
    expect(manualGroupNameProblem('corp:ABC')).toMatch(/":"/);
    expect(manualGroupNameProblem('a:b')).toMatch(/":"/);
    expect(manualGroupNameProblem('superusers')).toMatch(/built-in/);
    expect(manualGroupNameProblem(' Members ')).toMatch(/built-in/);
    expect(manualGroupNameProblem('SUPERUSERS')).toMatch(/built-in/);
  });
});
