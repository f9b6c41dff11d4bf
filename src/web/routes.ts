/**
 * The member portal's routes, served by the daemon's HTTP server at `controlPlane.publicUrl`.
 * Every route is parse -> call the application layer -> render; the rules live in services/.
 * `/auth/callback` and `/discord/callback` answer HTML to browsers (Accept: text/html) and leave
 * JSON to the API routes behind them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  completeDiscordOAuth,
  describeDiscordGuildOutcome,
  discordRedirectUri,
  DISCORD_CALLBACK_PATH,
  startDiscordCodeLink,
  startDiscordOAuthLink,
  unlinkDiscord,
} from '../services/links/discord.ts';
import { LinkError } from '../services/links/errors.ts';
import {
  completeTeamspeakLink,
  startTeamspeakLink,
  teamspeakLinkStatus,
  unlinkTeamspeak,
} from '../services/links/teamspeak.ts';
import { logout } from '../services/auth/sessions.ts';
import { issueToken, listCredentials, withdrawCredential } from '../services/auth/tokens.ts';
import { ConflictError } from '../domain/errors.ts';
import { loadAccountView, type JustStarted } from './account-view.ts';
import { serveAsset } from './assets.ts';
import { groupRoutes } from './group-routes.ts';
import { useCaseOf } from './use-case.ts';
import type { WebDeps } from './deps.ts';
import { html } from './html.ts';
import { accountPage, whyPage } from './pages/account.ts';
import { loginRefusedPage, notFoundPage, problemPage } from './pages/errors.ts';
import { homePage } from './pages/home.ts';
import { tokensPage } from './pages/tokens.ts';
import {
  clientIp,
  guardedForm,
  redirect,
  sendHtml,
  sendJson,
  signedIn,
  wantsHtml,
  type Route,
  type SignedIn,
} from './request.ts';
import { sessionCookie, setSessionCookie } from './security.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** Notices a redirect may name (fixed texts: nothing a URL carries is shown). */
const notices = {
  'teamspeak-unlinked': {
    kind: 'ok',
    text: 'Your TeamSpeak identity is unlinked; its server groups go at the next sync.',
  },
  'discord-unlinked': {
    kind: 'ok',
    text: 'Your Discord account is unlinked; its roles go at the next sync.',
  },
  'token-revoked': { kind: 'ok', text: 'Revoked.' },
} as const;

export function portalRoutes(deps: WebDeps): Route[] {
  const log = deps.logger.child({ area: 'portal' });
  const teamspeakTarget = (name: string | null) =>
    deps.config.teamspeak.targets.find((t) => t.name === name) ?? null;
  const discordTarget = (name: string | null) =>
    deps.config.discord.targets.find((t) => t.name === name) ?? null;

  const noticeOf = (url: URL) => notices[url.searchParams.get('notice') as keyof typeof notices] ?? null;

  async function account(
    res: ServerResponse,
    me: SignedIn,
    just: JustStarted = {},
    notice: { kind: 'ok' | 'problem'; text: string } | null = null,
    status = 200,
  ) {
    const view = await loadAccountView(deps, deps.db.fork(), me.user, just);
    return sendHtml(deps, res, status, accountPage(me.viewer, view, notice));
  }

  /** Pages for signed-in pilots only: others go to the start page. */
  const page =
    (render: (me: SignedIn, url: URL, res: ServerResponse) => Promise<boolean>): Handler =>
    async (req, res, url) => {
      const me = await signedIn(deps, req, res);
      return me ? render(me, url, res) : redirect(deps, res, '/');
    };

  /** A state-changing form: guarded (origin, session, CSRF), then handled. */
  const action =
    (
      handle: (
        me: SignedIn,
        form: URLSearchParams,
        res: ServerResponse,
        req: IncomingMessage,
      ) => Promise<boolean>,
    ): Handler =>
    async (req, res) => {
      const guarded = await guardedForm(deps, req, res);
      return guarded ? handle(guarded.me, guarded.form, res, req) : true;
    };

  const linkProblem = (res: ServerResponse, me: SignedIn, error: unknown) => {
    if (error instanceof LinkError)
      return account(res, me, {}, { kind: 'problem', text: error.message }, 400);
    if (error instanceof ConflictError)
      return account(res, me, {}, { kind: 'problem', text: error.message }, 409);
    throw error;
  };

  const unknownTarget = (res: ServerResponse, me: SignedIn) =>
    sendHtml(
      deps,
      res,
      404,
      problemPage(
        me.viewer,
        'No such server',
        html`<p>That TeamSpeak server or Discord guild is not configured here.</p>`,
      ),
    );

  const routes: Record<string, Handler> = {
    ...groupRoutes(deps, { page, action }),
    'GET /': async (req, res) => {
      const me = await signedIn(deps, req, res);
      return sendHtml(deps, res, 200, homePage(me?.viewer ?? null, deps.login !== null));
    },

    'GET /auth/login': async (req, res, url) => {
      if (!deps.login)
        return sendHtml(
          deps,
          res,
          503,
          problemPage(
            null,
            'Login is not set up',
            html`<p>
              EVE Online login is not configured on this Roster (sso.clientId, sso.clientSecret,
              sso.callbackUrl).
            </p>`,
          ),
        );
      const ip = clientIp(req);
      if (deps.loginStarts.blocked(ip))
        return sendHtml(
          deps,
          res,
          429,
          problemPage(
            null,
            'Too many logins',
            html`<p>Too many logins were started from your address. Wait a minute, then try again.</p>`,
          ),
        );
      deps.loginStarts.fail(ip);
      const asked = Number(url.searchParams.get('characterId'));
      const start = await deps.login.start(
        Number.isSafeInteger(asked) && asked > 0 ? { characterId: asked } : {},
      );
      return redirect(deps, res, start.url);
    },

    'GET /auth/callback': async (req, res, url) => {
      if (!wantsHtml(req) || !deps.login) return false; // JSON for API clients: the API route answers
      const oauthError = url.searchParams.get('error');
      if (oauthError)
        return sendHtml(
          deps,
          res,
          400,
          problemPage(
            null,
            'Login cancelled',
            html`<p>
              The EVE Online login did not finish (${oauthError.slice(0, 100)}). Nothing was changed.
            </p>`,
            html`<p><a class="button" href="/auth/login">Log in again</a></p>`,
          ),
        );
      const outcome = await deps.login.complete(
        { code: url.searchParams.get('code') ?? '', state: url.searchParams.get('state') ?? '' },
        'session',
      );
      if (!outcome.ok) return sendHtml(deps, res, outcome.status, loginRefusedPage(outcome.refusal));
      const session = outcome.login.session!;
      setSessionCookie(
        res,
        sessionCookie(deps.config),
        session.secret,
        (session.expiresAt.getTime() - Date.now()) / 1000,
      );
      return redirect(deps, res, '/account');
    },

    'POST /auth/logout': async (req, res) => {
      const guarded = await guardedForm(deps, req, res);
      if (!guarded) return true;
      const { me } = guarded;
      await logout(useCaseOf(deps, me), { userId: me.user.id, secret: me.secret });
      setSessionCookie(res, sessionCookie(deps.config), '', 0);
      return redirect(deps, res, '/');
    },

    'GET /account': page((me, url, res) => account(res, me, {}, noticeOf(url))),

    'GET /account/why': page(async (me, _url, res) => {
      const view = await loadAccountView(deps, deps.db.fork(), me.user);
      return sendHtml(deps, res, 200, whyPage(me.viewer, view));
    }),

    'POST /account/teamspeak/link': action(async (me, form, res) => {
      const target = teamspeakTarget(form.get('target'));
      if (!target) return unknownTarget(res, me);
      const started = await startTeamspeakLink(deps.db.fork(), {
        userId: me.user.id,
        target: target.name,
        ttlSeconds: deps.config.teamspeak.linkTtlSeconds,
      });
      return account(res, me, { teamspeak: { target: target.name, nickname: started.nickname } });
    }),

    'POST /account/teamspeak/complete': action(async (me, form, res) => {
      const target = teamspeakTarget(form.get('target'));
      if (!target) return unknownTarget(res, me);
      let alreadyLinked = false;
      try {
        ({ alreadyLinked } = await completeTeamspeakLink(useCaseOf(deps, me), deps.links, {
          userId: me.user.id,
          target: target.name,
        }));
      } catch (error) {
        if (error instanceof LinkError && error.reason === 'not-found')
          return account(
            res,
            me,
            {},
            {
              kind: 'problem',
              text: `No client on ${target.name} is online with your link nickname yet. Start a new link and connect with the nickname it shows.`,
            },
            400,
          );
        return linkProblem(res, me, error);
      }
      return account(
        res,
        me,
        {},
        {
          kind: 'ok',
          text: `Your TeamSpeak identity on ${target.name} is ${alreadyLinked ? 'already ' : ''}linked; your server groups follow shortly.`,
        },
      );
    }),

    /** The live status the page polls (JSON): pending, linked or expired. */
    'GET /account/teamspeak/status': async (req, res, url) => {
      const me = await signedIn(deps, req, res);
      if (!me)
        return sendJson(deps, res, 401, {
          state: 'signed-out',
          message: 'Your session has ended; log in again.',
        });
      const name = url.searchParams.get('target');
      if (!teamspeakTarget(name))
        return sendJson(deps, res, 404, { state: 'unknown', message: 'No such TeamSpeak server.' });
      const status = await teamspeakLinkStatus(deps.db.fork(), me.user.id);
      const pending = status.pending.find((p) => p.target === name);
      const link = status.links.find((l) => l.target === name);
      if (pending)
        return sendJson(deps, res, 200, {
          state: 'pending',
          message: 'Waiting for you to connect…',
          expiresAt: pending.expiresAt,
        });
      if (link)
        return sendJson(deps, res, 200, {
          state: 'linked',
          message: `Linked: your TeamSpeak identity on ${name} is ${link.uniqueId}. Your server groups follow shortly.`,
        });
      return sendJson(deps, res, 200, {
        state: 'expired',
        message: 'The link nickname has expired. Start a new link.',
      });
    },

    'POST /account/teamspeak/unlink': action(async (me, form, res) => {
      const target = teamspeakTarget(form.get('target'));
      if (!target) return unknownTarget(res, me);
      await unlinkTeamspeak(useCaseOf(deps, me), { userId: me.user.id, target: target.name });
      return redirect(deps, res, '/account?notice=teamspeak-unlinked');
    }),

    'POST /account/discord/link': action(async (me, form, res) => {
      const target = discordTarget(form.get('target'));
      if (!target) return unknownTarget(res, me);
      if (!target.oauthClientId || !target.oauthClientSecret)
        return account(
          res,
          me,
          {},
          { kind: 'problem', text: `Linking with Discord sign-in is not set up for ${target.name}.` },
          400,
        );
      const started = await startDiscordOAuthLink(deps.db.fork(), deps.links, {
        userId: me.user.id,
        target: target.name,
        ttlSeconds: deps.config.discord.linkTtlSeconds,
        redirectUri: discordRedirectUri(deps.config),
      });
      return started.method === 'oauth' ? redirect(deps, res, started.url) : account(res, me);
    }),

    'POST /account/discord/code': action(async (me, form, res) => {
      const target = discordTarget(form.get('target'));
      if (!target) return unknownTarget(res, me);
      if (!target.interactionPublicKey)
        return account(
          res,
          me,
          {},
          { kind: 'problem', text: `The /link command is not set up for ${target.name}.` },
          400,
        );
      const started = await startDiscordCodeLink(deps.db.fork(), {
        userId: me.user.id,
        target: target.name,
        ttlSeconds: deps.config.discord.linkTtlSeconds,
      });
      if (started.method !== 'code') return account(res, me);
      return account(res, me, {
        discordCode: {
          target: target.name,
          code: started.code,
          command: started.command,
          expiresAt: started.expiresAt,
        },
      });
    }),

    'POST /account/discord/unlink': action(async (me, _form, res) => {
      await unlinkDiscord(useCaseOf(deps, me), { userId: me.user.id });
      return redirect(deps, res, '/account?notice=discord-unlinked');
    }),

    [`GET ${DISCORD_CALLBACK_PATH}`]: async (req, res, url) => {
      if (!wantsHtml(req)) return false; // JSON for API clients: the API route answers
      const me = await signedIn(deps, req, res);
      const viewer = me?.viewer ?? null;
      const state = url.searchParams.get('state');
      if (!state || state.length > 512)
        return sendHtml(
          deps,
          res,
          400,
          problemPage(
            viewer,
            'Discord link not finished',
            html`<p>The link has no state: start it again from your account.</p>`,
          ),
        );
      try {
        const result = await completeDiscordOAuth(deps, deps.links, {
          state,
          code: url.searchParams.get('code'),
          error: url.searchParams.get('error'),
          redirectUri: discordRedirectUri(deps.config),
        });
        log.info(
          { userId: result.userId, target: result.target, guild: result.guild },
          'portal: Discord account linked',
        );
        const text = `Discord account ${result.username} is linked. ${describeDiscordGuildOutcome(result.guild)}`;
        if (me)
          return account(
            res,
            me,
            {},
            { kind: result.guild === 'added' || result.guild === 'alreadyMember' ? 'ok' : 'problem', text },
          );
        return sendHtml(deps, res, 200, problemPage(null, 'Discord linked', html`<p>${text}</p>`));
      } catch (error) {
        const message = error instanceof LinkError || error instanceof ConflictError ? error.message : null;
        if (message === null) throw error;
        return sendHtml(
          deps,
          res,
          error instanceof ConflictError ? 409 : 400,
          problemPage(viewer, 'Discord link not finished', html`<p>${message}</p>`),
        );
      }
    },

    'GET /account/tokens': page(async (me, url, res) => {
      const credentials = await listCredentials(deps.db.fork(), me.user.id);
      return sendHtml(deps, res, 200, tokensPage(me.viewer, credentials, null, noticeOf(url)));
    }),

    'POST /account/tokens': action(async (me, form, res) => {
      const comment = (form.get('comment') ?? '').trim().slice(0, 200);
      const days = Number(form.get('days'));
      if (!comment || !Number.isInteger(days) || days < 1 || days > 400) {
        const credentials = await listCredentials(deps.db.fork(), me.user.id);
        return sendHtml(
          deps,
          res,
          400,
          tokensPage(me.viewer, credentials, null, {
            kind: 'problem',
            text: 'Say what the token is for, and give a lifetime of 1 to 400 days.',
          }),
        );
      }
      const created = await issueToken(useCaseOf(deps, me), {
        userId: me.user.id,
        kind: 'user',
        comment,
        ttlSeconds: days * 86_400,
      });
      const credentials = await listCredentials(deps.db.fork(), me.user.id);
      return sendHtml(deps, res, 200, tokensPage(me.viewer, credentials, created));
    }),

    'POST /account/tokens/revoke': action(async (me, form, res) => {
      const id = (form.get('id') ?? '').slice(0, 64);
      const revoked = await withdrawCredential(
        useCaseOf(deps, me),
        { userId: me.user.id, clearanceLevel: me.user.clearanceLevel },
        id,
      );
      if (!revoked)
        return sendHtml(
          deps,
          res,
          404,
          problemPage(me.viewer, 'Not found', html`<p>You have no token or session with that id.</p>`),
        );
      if (id === me.sessionId) {
        setSessionCookie(res, sessionCookie(deps.config), '', 0);
        return redirect(deps, res, '/');
      }
      return redirect(deps, res, '/account/tokens?notice=token-revoked');
    }),
  };

  const portal: Route = async (req, res, url) => {
    if (url.pathname.startsWith('/assets/')) return serveAsset(deps, req, res, url.pathname);
    const handler = routes[`${req.method} ${url.pathname}`];
    return handler ? handler(req, res, url) : false;
  };

  /** Last of all routes: a page for browsers at any unknown address (API clients keep JSON 404s). */
  const notFound: Route = async (req, res, url) => {
    if (req.method !== 'GET' || !wantsHtml(req) || url.pathname.startsWith('/trpc/')) return false;
    const me = await signedIn(deps, req, res);
    return sendHtml(deps, res, 404, notFoundPage(me?.viewer ?? null));
  };

  return [portal, notFound];
}
