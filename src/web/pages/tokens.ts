/** Personal API tokens (for members' tools) and browser sessions: create, list, revoke. */
import type { CredentialView } from '../../services/auth/tokens.ts';
import { dataTable, html } from '../html.ts';
import { layout, postForm, type Viewer } from '../layout.ts';

const day = (d: Date | null): string => (d ? d.toISOString().slice(0, 10) : 'never');

export function tokensPage(
  viewer: Viewer,
  credentials: readonly CredentialView[],
  created: { secret: string; expiresAt: Date | null } | null,
  notice: { kind: 'ok' | 'problem'; text: string } | null = null,
): string {
  const live = credentials.filter((c) => !c.revokedAt);
  const rows = live.map(
    (c) =>
      html`<tr>
        <td>${c.kind === 'session' ? 'Browser session' : 'API token'}</td>
        <td>${c.comment || '—'}</td>
        <td>${day(c.createdAt)}</td>
        <td>${day(c.lastUsedAt)}</td>
        <td>${day(c.expiresAt)}</td>
        <td>
          !${postForm({ action: '/account/tokens/revoke', csrfToken: viewer.csrfToken, hidden: { id: c.id }, button: c.kind === 'session' ? 'End' : 'Revoke', buttonClass: 'button secondary' })}
        </td>
      </tr>`,
  );
  const shown = created
    ? html`<section class="card" aria-labelledby="new-token">
        <h2 id="new-token">Your new token</h2>
        <p>
          Copy it now: it is shown <strong>only once</strong>. Use it as
          <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
        <p><span class="secret" data-new-token>${created.secret}</span></p>
        <p class="muted">Expires ${day(created.expiresAt)}.</p>
      </section>`
    : '';
  return layout({
    title: 'API tokens',
    viewer,
    current: '/account/tokens',
    notice,
    body: html`<h1>API tokens and sessions</h1>
      !${shown}
      <section class="card" aria-labelledby="create">
        <h2 id="create">Create a token</h2>
        <p>For tools that talk to Roster on your behalf. A token can do what you can, nothing more.</p>
        !${postForm({
          action: '/account/tokens',
          csrfToken: viewer.csrfToken,
          button: 'Create token',
          fields: html`<label
              >What it is for <input type="text" name="comment" maxlength="200" required
            /></label>
            <label
              >Valid for (days) <input type="number" name="days" min="1" max="400" value="30" required
            /></label>`,
        })}
      </section>
      <section class="card" aria-labelledby="list">
        <h2 id="list">Yours</h2>
        !${
          rows.length
            ? dataTable(['Kind', 'For', 'Created', 'Last used', 'Expires', { muted: 'Action' }], rows)
            : html`<p>None.</p>`
        }
      </section>`,
  });
}
