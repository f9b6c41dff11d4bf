/**
 * "My account": who the pilot is in the directory, whether they may log in, their groups and
 * what each gives on which target, and a link panel per TeamSpeak server and Discord guild.
 */
import type { GroupExplanation } from '../../sync/explain.ts';
import type { UserDetails } from '../../services/users.ts';
import { dataTable, html } from '../html.ts';
import { layout, portrait, postForm, type Viewer } from '../layout.ts';

export interface TargetExplanations {
  readonly platform: 'teamspeak' | 'discord';
  readonly target: string;
  readonly groups: readonly GroupExplanation[];
}

export interface TeamspeakPanel {
  readonly target: string;
  readonly link: { readonly uniqueId: string; readonly linkedAt: Date } | null;
  /** A link in progress; the nickname only right after it was started (it is stored hashed). */
  readonly pending: { readonly expiresAt: Date; readonly nickname: string | null } | null;
}

export interface DiscordPanel {
  readonly target: string;
  readonly oauth: boolean;
  readonly code: boolean;
  readonly pending: { readonly method: 'oauth' | 'code'; readonly expiresAt: Date } | null;
  /** A /link code just made (shown once). */
  readonly newCode: { readonly code: string; readonly command: string; readonly expiresAt: Date } | null;
}

export interface AccountView {
  readonly user: UserDetails;
  /** The login cascade in words ("allowed", "denied by corporation ABC", ...). */
  readonly login: { readonly allowed: boolean; readonly words: string };
  readonly explanations: readonly TargetExplanations[];
  readonly teamspeak: readonly TeamspeakPanel[];
  readonly discord: readonly DiscordPanel[];
  readonly discordUserId: string | null;
}

export function clearanceWords(level: number): string {
  if (level < 0) return 'guest';
  if (level === 0) return 'member';
  if (level === 9) return 'administrator';
  if (level >= 10) return 'superuser';
  return `officer, level ${level}`;
}

const time = (d: Date): string =>
  html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 16)} UTC</time>`;

const platformName = (p: 'teamspeak' | 'discord') => (p === 'teamspeak' ? 'TeamSpeak' : 'Discord');

function identityCard(view: AccountView): string {
  const u = view.user;
  const corp = u.corporation ? html`${u.corporation.name} [${u.corporation.ticker}]` : 'none';
  const alliance = u.alliance ? html`${u.alliance.name} [${u.alliance.ticker}]` : 'none';
  const coalitions = u.coalitions.length
    ? u.coalitions.map((c) => `${c.name} [${c.ticker}]`).join(', ')
    : 'none';
  return html`<section class="card" aria-labelledby="who">
    <div class="identity">
      !${portrait(u.characterId)}
      <div>
        <h1 id="who">${u.characterName}</h1>
        <p class="muted">Shown on TeamSpeak and Discord as <strong>${u.tickeredName}</strong></p>
      </div>
    </div>
    <dl class="facts">
      <dt>Corporation</dt>
      <dd>!${corp}</dd>
      <dt>Alliance</dt>
      <dd>!${alliance}</dd>
      <dt>Coalitions</dt>
      <dd>${coalitions}</dd>
      <dt>Clearance</dt>
      <dd>${clearanceWords(u.clearanceLevel)} (${u.clearanceLevel})</dd>
      <dt>Login</dt>
      <dd>
        <span class="status ${view.login.allowed ? 'ok' : 'problem'}" data-login
          >${view.login.allowed ? 'You may log in' : `You may not log in: ${view.login.words}`}</span
        >
      </dd>
    </dl>
  </section>`;
}

function groupsCard(view: AccountView): string {
  const rows = view.user.groups.map((g) => {
    const gives = view.explanations.flatMap((e) =>
      e.groups
        .filter((x) => x.groupId === g.id)
        .map(
          (x) =>
            html`<li>
              ${platformName(e.platform)} ${e.target}: ${e.platform === 'teamspeak' ? 'server group' : 'role'}
              <strong>${x.displayName}</strong> —
              <span class="status ${x.shouldHave ? 'ok' : 'problem'}">${giveStatus(x, e.platform)}</span>
            </li>`,
        ),
    );
    return html`<tr>
      <th scope="row">${g.name}${g.kind === 'auto' ? ' (automatic)' : ''}</th>
      <td>
        ${gives.length ? '' : 'nothing on TeamSpeak or Discord'}!${
          gives.length
            ? html`<ul class="plain">
                !${gives}
              </ul>`
            : ''
        }
      </td>
    </tr>`;
  });
  return html`<section class="card" aria-labelledby="groups">
    <h2 id="groups">My groups</h2>
    !${rows.length ? dataTable(['Group', 'Gives'], rows) : html`<p>You are in no group yet.</p>`}
    <p><a href="/account/why">Why don't I have a role or server group?</a></p>
  </section>`;
}

/** Whether the pilot holds what a group gives on a target, in a few words. */
function giveStatus(x: GroupExplanation, platform: 'teamspeak' | 'discord'): string {
  switch (x.reason) {
    case 'member':
      return 'yours';
    case 'not-linked':
      return `link your ${platform === 'teamspeak' ? 'TeamSpeak identity' : 'Discord account'} to get it`;
    case 'login-not-authorized':
      return 'not while your login is not allowed';
    case 'not-a-member':
    case 'removal-held':
      return x.detail;
  }
}

function teamspeakPanel(p: TeamspeakPanel, csrfToken: string): string {
  const target = { target: p.target };
  let content: string;
  if (p.pending?.nickname) {
    content = html`<div
      data-teamspeak-link
      data-status-url="/account/teamspeak/status?target=${encodeURIComponent(p.target)}"
      data-state="pending"
    >
      <p>Connect to the TeamSpeak server (or rename yourself there) with exactly this nickname:</p>
      <p><span class="secret" data-nickname>${p.pending.nickname}</span></p>
      <p>It is valid until !${time(p.pending.expiresAt)}.</p>
      <p class="status" data-live aria-live="polite">Waiting for you to connect…</p>
      <p data-when-linked hidden><a class="button" href="/account">Done: back to my account</a></p>
      <div data-when-pending>
        !${postForm({ action: '/account/teamspeak/complete', csrfToken, hidden: target, button: "I'm connected: check now", buttonClass: 'button secondary' })}
      </div>
    </div>`;
  } else if (p.link) {
    content = html`<p class="status ok">Linked since !${time(p.link.linkedAt)}</p>
      <p class="muted">Identity <code>${p.link.uniqueId}</code></p>
      !${postForm({ action: '/account/teamspeak/link', csrfToken, hidden: target, button: 'Link another identity', buttonClass: 'button secondary' })}
      !${postForm({ action: '/account/teamspeak/unlink', csrfToken, hidden: target, button: 'Unlink', buttonClass: 'button secondary' })}`;
  } else {
    content = html`<p class="status">Not linked</p>
      !${p.pending ? html`<p class="muted">A link was started; its nickname is shown only once. Start a new one.</p>` : ''}
      !${postForm({ action: '/account/teamspeak/link', csrfToken, hidden: target, button: 'Link TeamSpeak' })}`;
  }
  return html`<section class="card" aria-label="TeamSpeak ${p.target}">
    <h3>TeamSpeak · ${p.target}</h3>
    !${content}
  </section>`;
}

function discordPanel(p: DiscordPanel, linked: string | null, csrfToken: string): string {
  const target = { target: p.target };
  let content: string;
  if (linked) {
    content = html`<p class="status ok">Linked</p>
      <p class="muted">Discord account <code>${linked}</code></p>
      !${postForm({ action: '/account/discord/unlink', csrfToken, hidden: target, button: 'Unlink Discord', buttonClass: 'button secondary' })}`;
  } else {
    const code = p.newCode
      ? html`<p>In the Discord server, send:</p>
          <p><span class="secret" data-code>${p.newCode.command}</span></p>
          <p>
            It is valid until !${time(p.newCode.expiresAt)}. Then <a href="/account">reload this page</a>.
          </p>`
      : '';
    content = html`<p class="status">Not linked</p>
      !${p.oauth ? postForm({ action: '/account/discord/link', csrfToken, hidden: target, button: 'Link with Discord' }) : ''}
      !${p.code && !p.newCode ? postForm({ action: '/account/discord/code', csrfToken, hidden: target, button: 'Get a /link code instead', buttonClass: 'button secondary' }) : ''}
      !${code}
      !${!p.oauth && !p.code ? html`<p class="muted">Linking is not set up for this server.</p>` : ''}`;
  }
  return html`<section class="card" aria-label="Discord ${p.target}">
    <h3>Discord · ${p.target}</h3>
    !${content}
  </section>`;
}

export function accountPage(
  viewer: Viewer,
  view: AccountView,
  notice: { kind: 'ok' | 'problem'; text: string } | null = null,
): string {
  const panels = [
    ...view.teamspeak.map((p) => teamspeakPanel(p, viewer.csrfToken)),
    ...view.discord.map((p) => discordPanel(p, view.discordUserId, viewer.csrfToken)),
  ];
  return layout({
    title: 'My account',
    viewer,
    current: '/account',
    notice,
    body: html`!${identityCard(view)} !${groupsCard(view)}
      <h2>Linked accounts</h2>
      !${panels.length ? html`<div class="grid">!${panels}</div>` : html`<p class="card">No TeamSpeak server or Discord guild is configured.</p>`}`,
  });
}

/** "Why don't I have X?": every mapped group the pilot lacks, with the reason in words. */
export function whyPage(viewer: Viewer, view: AccountView): string {
  const sections = view.explanations.map((e) => {
    const missing = e.groups.filter((g) => !g.shouldHave);
    const have = e.groups.filter((g) => g.shouldHave);
    const items = missing.map(
      (g) =>
        html`<li>
          <strong>${g.displayName}</strong> (group ${g.groupName}):
          ${sentence(g, e.platform, view.login.words)}
        </li>`,
    );
    return html`<section class="card" aria-label="${platformName(e.platform)} ${e.target}">
      <h2>${platformName(e.platform)} · ${e.target}</h2>
      !${have.length ? html`<p>You have ${have.map((g) => g.displayName).join(', ')}.</p>` : ''}
      !${
        items.length
          ? html`<ul class="plain">
              !${items}
            </ul>`
          : html`<p>
              You have every ${e.platform === 'teamspeak' ? 'server group' : 'role'} Roster manages here.
            </p>`
      }
    </section>`;
  });
  return layout({
    title: "Why don't I have…?",
    viewer,
    current: '/account/why',
    body: html`<h1>Why don't I have…?</h1>
      <p>For each server group and role Roster manages that you do not have, the reason.</p>
      !${sections.length ? sections : html`<p class="card">No TeamSpeak server or Discord guild is configured.</p>`}`,
  });
}

/** The reason in words; `login` is the cascade's verdict ("denied by corporation ABC"). */
function sentence(g: GroupExplanation, platform: 'teamspeak' | 'discord', login: string): string {
  const account = platform === 'teamspeak' ? 'TeamSpeak identity' : 'Discord account';
  // removal-held keeps the first reason and adds when the removal happens.
  const held = g.reason === 'removal-held' ? ` (${g.detail.split('; ').slice(1).join('; ')})` : '';
  const first = g.reason === 'removal-held' ? (g.detail.split('; ')[0] ?? '') : g.detail;
  if (g.reason === 'not-a-member' || first.startsWith('not a member'))
    return `you are not a member of ${g.groupName}${held}.`;
  if (g.reason === 'not-linked' || first.startsWith('no '))
    return `you have not linked your ${account} here yet${held}.`;
  return `your login is ${login}, so Roster gives you no group${held}.`;
}
