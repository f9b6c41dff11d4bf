import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { html } from '../../src/web/html.ts';
import { layout, postForm } from '../../src/web/layout.ts';
import { loginRefusedPage } from '../../src/web/pages/errors.ts';

/** What a browser reads back from escaped text. */
const unescape = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

describe('portal escaping', () => {
  it('escapes any Unicode text in element content and attribute values, and it reads back the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = html`<p title="${text}">${text}</p>`;
        const inner = out.slice('<p title="'.length, -'</p>'.length);
        const [attribute, content] = [
          inner.slice(0, inner.indexOf('">')),
          inner.slice(inner.indexOf('">') + 2),
        ];
        expect(attribute).not.toMatch(/["<>']/);
        expect(content).not.toMatch(/[<>]/);
        expect(unescape(attribute)).toBe(text);
        expect(unescape(content)).toBe(text);
      }),
    );
  });

  it('keeps a hostile name inert in the layout, the forms and the refusal pages', () => {
    const hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)> Ωmega 🚀';
    const page = layout({
      title: hostile,
      viewer: { characterName: hostile, characterId: 1, csrfToken: hostile },
      body: postForm({ action: '/x', csrfToken: 'token', button: hostile, hidden: { target: hostile } }),
      notice: { kind: 'problem', text: hostile },
    });
    const refused = loginRefusedPage({
      error: 'login-denied',
      reason: 'denied',
      by: hostile,
      message: hostile,
    });
    for (const out of [page, refused]) {
      expect(out).not.toContain('<script>alert');
      expect(out).not.toContain('<img src=x');
      expect(out.match(/<script/g)).toHaveLength(1); // the portal's own script tag only
      expect(out).toContain('Ωmega 🚀');
    }
  });
});
