/**
 * The portal's page frame and form helper, for every page (engineer 17's group pages too): one
 * layout (header, navigation, main, footer) and one way to write a state-changing form, which
 * always carries the session's CSRF token.
 */
import { html } from './html.ts';

export interface Viewer {
  readonly characterName: string;
  readonly characterId: number;
  readonly csrfToken: string;
}

export interface PageOptions {
  readonly title: string;
  /** The signed-in pilot, or null on public pages. */
  readonly viewer: Viewer | null;
  /** Markup made with `html`. */
  readonly body: string;
  /** Which navigation entry is current. */
  readonly current?: string;
  /** A notice shown above the content (plain text; escaped here). */
  readonly notice?: { readonly kind: 'ok' | 'problem'; readonly text: string } | null;
}

const nav: readonly { readonly href: string; readonly label: string }[] = [
  { href: '/account', label: 'My account' },
  { href: '/groups', label: 'Groups' },
  { href: '/account/why', label: "Why don't I have…?" },
  { href: '/account/tokens', label: 'API tokens' },
];

export function layout(page: PageOptions): string {
  const viewer = page.viewer;
  const links = nav.map((n) =>
    n.href === page.current
      ? html`<li><a href="${n.href}" aria-current="page">${n.label}</a></li>`
      : html`<li><a href="${n.href}">${n.label}</a></li>`,
  );
  const account = viewer
    ? html`<nav aria-label="Main">
          <ul>
            !${links}
          </ul>
        </nav>
        <div class="who">
          <span>${viewer.characterName}</span>!${postForm({
            action: '/auth/logout',
            csrfToken: viewer.csrfToken,
            button: 'Log out',
            buttonClass: 'link',
          })}
        </div>`
    : '';
  const notice = page.notice
    ? html`<p class="notice ${page.notice.kind}" role="status">${page.notice.text}</p>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${page.title} · Roster</title>
        <link rel="stylesheet" href="/assets/portal.css" />
        <script src="/assets/portal.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">Roster</a>
          !${account}
        </header>
        <main id="main" tabindex="-1">!${notice} !${page.body}</main>
        <footer>
          <p>
            Roster keeps your community's TeamSpeak and Discord groups in step with who you are in EVE Online.
          </p>
        </footer>
      </body>
    </html>`;
}

export interface FormOptions {
  readonly action: string;
  readonly csrfToken: string;
  readonly button: string;
  readonly buttonClass?: string;
  /** Hidden fields besides the CSRF token. */
  readonly hidden?: Readonly<Record<string, string>>;
  /** Visible fields (markup made with `html`), placed before the button. */
  readonly fields?: string;
}

/** A POST form with the CSRF token; every state change in the portal goes through one. */
export function postForm(form: FormOptions): string {
  const hidden = Object.entries(form.hidden ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return html`<form method="post" action="${form.action}" class="inline">
    <input type="hidden" name="csrf" value="${form.csrfToken}" />!${hidden}!${form.fields ?? ''}
    <button type="submit" class="${form.buttonClass ?? 'button'}">${form.button}</button>
  </form>`;
}

/** An EVE character portrait from the EVE image server (allowed by the CSP). */
export const portrait = (characterId: number, size = 64): string =>
  html`<img
    class="portrait"
    src="https://images.evetech.net/characters/${characterId}/portrait?size=${size * 2}"
    width="${size}"
    height="${size}"
    alt=""
    referrerpolicy="no-referrer"
  />`;
