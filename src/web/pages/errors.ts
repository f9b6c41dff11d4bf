/**
 * Error pages: every refusal the EVE SSO login gives, the 404, and a generic problem page. Each
 * says what happened in words and what to do next.
 */
import type { LoginRefusal } from '../../services/auth/sso-login.ts';
import { html } from '../html.ts';
import { layout, type Viewer } from '../layout.ts';

export function problemPage(
  viewer: Viewer | null,
  title: string,
  sentences: string,
  next: string = html`<p>
    <a class="button" href="${viewer ? '/account' : '/'}"
      >${viewer ? 'Back to my account' : 'Back to the start'}</a
    >
  </p>`,
): string {
  return layout({
    title,
    viewer,
    body: html`<section class="card" aria-labelledby="problem-title">
      <h1 id="problem-title">${title}</h1>
      !${sentences} !${next}
    </section>`,
  });
}

export const notFoundPage = (viewer: Viewer | null): string =>
  problemPage(viewer, 'Page not found', html`<p>There is no page at this address.</p>`);

const again = html`<p><a class="button" href="/auth/login">Log in again</a></p>`;

/** The page for a refused EVE SSO login: why, in words, and the way forward. */
export function loginRefusedPage(refusal: LoginRefusal): string {
  switch (refusal.error) {
    case 'login-denied':
      return problemPage(
        null,
        'You may not log in',
        refusal.reason === 'denied'
          ? html`<p>Your login is <strong>denied by ${refusal.by ?? 'the directory'}</strong>.</p>
              <p>If you think this is wrong, ask an officer of your corporation or alliance.</p>`
          : html`<p>
                You are <strong>not authorized</strong> to log in: none of your character, corporation,
                alliance, coalitions or groups is allowed here.
              </p>
              <p>If you have just joined, ask an officer to let your corporation or alliance in.</p>`,
        html`<p><a class="button secondary" href="/">Back to the start</a></p>`,
      );
    case 'missing-scopes':
      return problemPage(
        null,
        'More ESI access is needed',
        html`<p>
            Your corporation, alliance or coalition requires that you grant these ESI scopes when you log in:
          </p>
          <ul class="plain">
            !${(refusal.missingScopes ?? []).map((s) => html`<li><code>${s}</code></li>`)}
          </ul>
          <p>The EVE Online login page will ask for them; keep them ticked.</p>`,
        refusal.loginUrl
          ? html`<p><a class="button big" href="${refusal.loginUrl}">Grant the scopes and log in</a></p>`
          : again,
      );
    case 'state-expired':
    case 'state-used':
    case 'invalid-state':
    case 'invalid-request':
    case 'invalid-code':
      return problemPage(
        null,
        'This login link has run out',
        html`<p>${refusal.message}.</p>
          <p>That happens when a login is left open too long, or a page is reloaded. Start again.</p>`,
        again,
      );
    case 'unavailable':
      return problemPage(
        null,
        'EVE Online is not answering',
        html`<p>The EVE Online login or ESI is unavailable right now. Try again in a moment.</p>`,
        html`<p><a class="button" href="/auth/login">Try again</a></p>`,
      );
    case 'invalid-token':
    case 'character-not-found':
    case 'sso-error':
      return problemPage(
        null,
        'The login did not work',
        html`<p>${refusal.message}.</p>
          <p>Try again; if it keeps happening, tell your administrators.</p>`,
        again,
      );
  }
}
