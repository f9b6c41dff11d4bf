/** Groups people run themselves: browse, join, ask, leave; the leaders' queue of requests. */
import type { joinableGroups, myGroups } from '../../services/group-membership.ts';
import type { myNotices } from '../../services/group-notices.ts';
import type { pendingRequests } from '../../services/group-requests.ts';
import { dataTable, html } from '../html.ts';
import { layout, postForm, type Viewer } from '../layout.ts';

type Joinable = Awaited<ReturnType<typeof joinableGroups>>;
type Mine = Awaited<ReturnType<typeof myGroups>>;
type Notices = Awaited<ReturnType<typeof myNotices>>;
type Queue = Awaited<ReturnType<typeof pendingRequests>>;

type Notice = { kind: 'ok' | 'problem'; text: string } | null;

const day = (iso: string | null): string => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '');

export interface GroupsView {
  readonly joinable: Joinable;
  readonly mine: Mine;
  readonly notices: Notices;
  /** Whether the viewer leads a group (or is an admin): the queue is linked. */
  readonly leads: boolean;
}

export function groupsPage(viewer: Viewer, view: GroupsView, notice: Notice = null): string {
  const csrfToken = viewer.csrfToken;
  const endingOf = (groupId: string) => view.notices.find((n) => n.groupId === groupId);
  const memberships = view.mine.memberships.map((m) => {
    const ending = endingOf(m.groupId);
    return html`<tr>
      <td>${m.name}</td>
      <td>${m.since ? day(m.since) : ''}</td>
      <td>${m.expiresAt ? day(m.expiresAt) : '—'}</td>
      <td>${ending ? `You lose it on ${day(ending.removeAt)}: ${ending.detail}` : ''}</td>
      <td>
        !${m.mayLeave ? postForm({ action: '/groups/leave', csrfToken, hidden: { id: m.groupId }, button: 'Leave', buttonClass: 'button secondary' }) : ''}
      </td>
    </tr>`;
  });
  const joinable = view.joinable
    .filter((g) => !g.member)
    .map((g) => {
      let action: string;
      if (!g.eligible) action = html`<p class="muted">Not for you: ${g.notEligibleBecause ?? ''}</p>`;
      else if (g.pendingRequestId)
        action = html`<p>You asked; a leader decides.</p>
          !${postForm({ action: '/groups/withdraw', csrfToken, hidden: { requestId: g.pendingRequestId }, button: 'Withdraw', buttonClass: 'button secondary' })}`;
      else if (g.joinPolicy === 'open')
        action = postForm({ action: '/groups/join', csrfToken, hidden: { id: g.id }, button: 'Join' });
      else
        action = postForm({
          action: '/groups/request',
          csrfToken,
          hidden: { id: g.id },
          button: 'Ask to join',
          fields: html`<label
            >Why you want to join <textarea name="message" maxlength="1000" rows="2"></textarea>
          </label>`,
        });
      return html`<section class="card" aria-label="${g.name}">
        <h3>${g.name}</h3>
        <p class="muted">
          ${g.joinPolicy === 'open' ? 'Open: join and leave as you like.' : 'Ask to join: a leader decides.'}
        </p>
        !${g.description ? html`<p>${g.description}</p>` : ''} !${action}
      </section>`;
    });
  const requests = view.mine.requests.map(
    (r) =>
      html`<tr>
        <td>${r.name}</td>
        <td>${r.status}</td>
        <td>${r.message}</td>
        <td>${r.decisionReason ?? ''}</td>
        <td>${day(r.createdAt)}</td>
      </tr>`,
  );
  return layout({
    title: 'Groups',
    viewer,
    current: '/groups',
    notice,
    body: html`<h1>Groups</h1>
      !${view.leads ? html`<p><a href="/groups/requests">Requests waiting for you as a leader</a></p>` : ''}
      <section class="card" aria-labelledby="mine">
        <h2 id="mine">Your groups</h2>
        !${
          memberships.length
            ? dataTable(['Group', 'Since', 'Ends', 'Notice', { muted: 'Action' }], memberships)
            : html`<p>None yet.</p>`
        }
      </section>
      <section aria-labelledby="joinable">
        <h2 id="joinable">Groups you can join</h2>
        !${joinable.length ? joinable : html`<p>None right now.</p>`}
      </section>
      !${
        requests.length
          ? html`<section class="card" aria-labelledby="asked">
              <h2 id="asked">Your requests</h2>
              !${dataTable(['Group', 'Status', 'You wrote', "Leader's reason", 'Asked'], requests)}
            </section>`
          : ''
      }`,
  });
}

export function queuePage(viewer: Viewer, queue: Queue, notice: Notice = null): string {
  const csrfToken = viewer.csrfToken;
  const rows = queue.map(
    (r) =>
      html`<tr>
        <td>${r.characterName ?? r.userId}</td>
        <td>${r.groupName}</td>
        <td>${r.message}</td>
        <td>${r.notEligibleBecause ? `No longer eligible: ${r.notEligibleBecause}` : 'Eligible'}</td>
        <td>${day(r.createdAt)}</td>
        <td>
          !${postForm({ action: '/groups/decide', csrfToken, hidden: { requestId: r.id, approve: 'yes' }, button: 'Approve' })}
          !${postForm({
            action: '/groups/decide',
            csrfToken,
            hidden: { requestId: r.id, approve: 'no' },
            button: 'Deny',
            buttonClass: 'button secondary',
            fields: html`<label>Reason <input type="text" name="reason" maxlength="1000" required /></label>`,
          })}
        </td>
      </tr>`,
  );
  return layout({
    title: 'Requests',
    viewer,
    current: '/groups/requests',
    notice,
    body: html`<h1>Requests to join your groups</h1>
      <p><a href="/groups">Back to groups</a></p>
      !${
        rows.length
          ? dataTable(['Pilot', 'Group', 'They wrote', 'Eligibility', 'Asked', { muted: 'Decision' }], rows)
          : html`<p>No request is waiting.</p>`
      }`,
  });
}
