/**
 * The portal's group pages: browse joinable groups, join, ask (with a reason), withdraw, leave;
 * the leaders' queue with approve and deny. Parse -> the same use cases as tRPC's membership
 * procedures -> render; every form is a guarded POST (origin, session, CSRF).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, ForbiddenError, NotFoundError, RuleViolationError } from '../domain/errors.ts';
import { ADMIN } from '../domain/index.ts';
import { callerOf, groupsLedBy, type Caller } from '../services/group-access.ts';
import { joinGroup, joinableGroups, leaveGroup, myGroups } from '../services/group-membership.ts';
import { myNotices } from '../services/group-notices.ts';
import {
  decideRequest,
  pendingRequests,
  requestToJoin,
  withdrawRequest,
} from '../services/group-requests.ts';
import type { UseCaseContext } from '../services/use-case.ts';
import type { WebDeps } from './deps.ts';
import { groupsPage, queuePage } from './pages/groups.ts';
import { redirect, sendHtml, type SignedIn } from './request.ts';
import { useCaseOf } from './use-case.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
type Notice = { kind: 'ok' | 'problem'; text: string } | null;

export interface GroupRouteTools {
  /** A page for signed-in pilots only. */
  page(render: (me: SignedIn, url: URL, res: ServerResponse) => Promise<boolean>): Handler;
  /** A guarded form (origin, session, CSRF). */
  action(handle: (me: SignedIn, form: URLSearchParams, res: ServerResponse) => Promise<boolean>): Handler;
}

/** Notices a redirect may name (fixed texts: nothing a URL carries is shown). */
const notices = {
  joined: 'You joined the group; your roles follow at the next sync.',
  asked: 'You asked to join; a leader decides.',
  withdrawn: 'Your request is withdrawn.',
  left: 'You left the group; its roles go at the next sync.',
  approved: 'Approved: the pilot is a member; their roles follow at the next sync.',
  denied: 'Denied; the pilot sees your reason.',
} as const;

/** Refusals the use cases give (not eligible, wrong policy, already a member...) are shown on the page. */
const refusal = (error: unknown): { status: number; text: string } | null => {
  if (error instanceof RuleViolationError) return { status: 400, text: error.message };
  if (error instanceof ConflictError) return { status: 409, text: error.message };
  if (error instanceof ForbiddenError) return { status: 403, text: error.message };
  if (error instanceof NotFoundError) return { status: 404, text: error.message };
  return null;
};

const id = (form: URLSearchParams, name: string) => (form.get(name) ?? '').slice(0, 64);

export function groupRoutes(deps: WebDeps, tools: GroupRouteTools): Record<string, Handler> {
  const noticeOf = (url: URL): Notice => {
    const text = notices[url.searchParams.get('notice') as keyof typeof notices];
    return text ? { kind: 'ok' as const, text } : null;
  };

  const leads = async (caller: Caller) =>
    caller.clearanceLevel >= ADMIN || (await groupsLedBy(deps.db.fork(), caller.userId)).length > 0;

  async function groups(res: ServerResponse, me: SignedIn, notice: Notice, status = 200) {
    const em = deps.db.fork();
    const caller = await callerOf(em, me.user);
    const [joinable, mine, given, leader] = await Promise.all([
      joinableGroups(em.fork(), caller),
      myGroups(em.fork(), caller),
      myNotices(em.fork(), caller),
      leads(caller),
    ]);
    return sendHtml(
      deps,
      res,
      status,
      groupsPage(me.viewer, { joinable, mine, notices: given, leads: leader }, notice),
    );
  }

  async function queue(res: ServerResponse, me: SignedIn, notice: Notice, status = 200) {
    const em = deps.db.fork();
    const list = await pendingRequests(em, await callerOf(em, me.user));
    return sendHtml(deps, res, status, queuePage(me.viewer, list, notice));
  }

  /**
   * Runs a use case for the form, as the signed-in pilot; a refusal re-renders `back` with it,
   * anything else is the server's. The use cases ask for the syncs their changes need.
   */
  const attempt = (
    back: typeof groups,
    run: (app: UseCaseContext, caller: Caller, form: URLSearchParams) => Promise<keyof typeof notices>,
    after: string,
  ) =>
    tools.action(async (me, form, res) => {
      const em = deps.db.fork();
      let done: keyof typeof notices;
      try {
        done = await run(useCaseOf(deps, me), await callerOf(em, me.user), form);
      } catch (error) {
        const refused = refusal(error);
        if (!refused) throw error;
        return back(res, me, { kind: 'problem', text: refused.text }, refused.status);
      }
      return redirect(deps, res, `${after}?notice=${done}`);
    });

  return {
    'GET /groups': tools.page((me, url, res) => groups(res, me, noticeOf(url))),
    'GET /groups/requests': tools.page((me, url, res) => queue(res, me, noticeOf(url))),

    'POST /groups/join': attempt(
      groups,
      async (app, caller, form) => {
        await joinGroup(app, caller, id(form, 'id'), 'portal');
        return 'joined';
      },
      '/groups',
    ),
    'POST /groups/request': attempt(
      groups,
      async (app, caller, form) => {
        const message = (form.get('message') ?? '').trim().slice(0, 1000);
        await requestToJoin(app, caller, id(form, 'id'), message);
        return 'asked';
      },
      '/groups',
    ),
    'POST /groups/withdraw': attempt(
      groups,
      async (app, caller, form) => {
        await withdrawRequest(app, caller, id(form, 'requestId'));
        return 'withdrawn';
      },
      '/groups',
    ),
    'POST /groups/leave': attempt(
      groups,
      async (app, caller, form) => {
        await leaveGroup(app, caller, id(form, 'id'), 'portal');
        return 'left';
      },
      '/groups',
    ),
    'POST /groups/decide': attempt(
      queue,
      async (app, caller, form) => {
        const approve = form.get('approve') === 'yes';
        const reason = (form.get('reason') ?? '').trim().slice(0, 1000);
        await decideRequest(
          app,
          caller,
          id(form, 'requestId'),
          { approve, ...(reason ? { reason } : {}) },
          'portal',
        );
        return approve ? 'approved' : 'denied';
      },
      '/groups/requests',
    ),
  };
}
