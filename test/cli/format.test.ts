import { describe, expect, it } from 'vitest';
import { render } from '../../src/cli/format.ts';

const url =
  'https://login.eveonline.com/v2/oauth/authorize?response_type=code&redirect_uri=https%3A%2F%2Froster.example%2Fauth%2Fcallback&client_id=0123456789abcdef0123456789abcdef&scope=publicData%20esi-characters.read_corporation_roles.v1&state=ZmFrZS1zdGF0ZS1mb3ItdGhlLXRlc3Q';

describe('rosterctl tables', () => {
  it('print a URL whole, in an object and in a table (auth loginUrl)', () => {
    const one = render({ url, scopes: ['publicData'], expiresAt: '2026-12-02T00:10:00.000Z' });
    expect(one).toContain(`url        ${url}`);
    const rows = render([{ name: 'login', url }]);
    expect(rows[1]).toBe(`login  ${url}`);
    expect(render([url])).toEqual([url]);
  });

  it('still cut other long text to keep the columns readable', () => {
    const long = 'a description that goes on and on, well past what one table cell should hold on a screen';
    const [line] = render({ description: long });
    expect(line).toBe(`description  ${long.slice(0, 59)}…`);
  });
});
