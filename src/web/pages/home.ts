import { html } from '../html.ts';
import { layout, type Viewer } from '../layout.ts';

export function homePage(viewer: Viewer | null, loginConfigured: boolean): string {
  const action = viewer
    ? html`<p><a class="button big" href="/account">Go to my account</a></p>`
    : loginConfigured
      ? html`<p><a class="button big" href="/auth/login">Log in with EVE Online</a></p>
          <p class="muted">
            You are sent to the EVE Online login page and back; Roster never sees your password.
          </p>`
      : html`<p class="notice problem">
          EVE Online login is not set up on this Roster yet. Ask your administrators.
        </p>`;
  return layout({
    title: 'Welcome',
    viewer,
    body: html`<section class="hero">
        <h1>Your community's groups, on TeamSpeak and Discord</h1>
        <p>
          Roster knows who you are in EVE Online: your corporation, your alliance, your coalitions and the
          groups you belong to. Log in once, link your TeamSpeak identity and your Discord account, and your
          server groups and roles follow by themselves.
        </p>
        !${action}
      </section>
      <section class="grid" aria-label="What you can do here">
        <div class="card">
          <h2>See your groups</h2>
          <p>Which groups you are in, and which TeamSpeak server group or Discord role each one gives you.</p>
        </div>
        <div class="card">
          <h2>Link your accounts</h2>
          <p>Link TeamSpeak by connecting with a nickname Roster shows you; link Discord with one click.</p>
        </div>
        <div class="card">
          <h2>Know why</h2>
          <p>Missing a role? Roster tells you why in plain words.</p>
        </div>
      </section>`,
  });
}
