import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  completeDiscordCode,
  completeDiscordOAuth,
  describeDiscordGuildOutcome,
  discordRedirectUri,
  DISCORD_CALLBACK_PATH,
  DISCORD_INTERACTIONS_PATH,
} from '../services/links/discord.ts';
import { forgivingNotifier } from '../services/notifier.ts';
import { ed25519PublicKey, verifyDiscordSignature } from '../services/links/discord-signature.ts';
import { LinkError, linkFailureStatus } from '../services/links/errors.ts';
import { ConflictError } from '../domain/errors.ts';
import type { ApiDeps } from './deps.ts';
import { sendJson, type HttpRoute } from './http.ts';

const MAX_BODY_BYTES = 64 * 1024;
/** Interaction types and callback types of Discord's API. */
const PING = 1;
const APPLICATION_COMMAND = 2;
const PONG = 1;
const CHANNEL_MESSAGE_WITH_SOURCE = 4;
const EPHEMERAL = 1 << 6;

const interactionSchema = z.looseObject({
  type: z.number().int(),
  guild_id: z.string().optional(),
  member: z.looseObject({ user: z.looseObject({ id: z.string() }) }).optional(),
  user: z.looseObject({ id: z.string() }).optional(),
  data: z
    .looseObject({
      name: z.string(),
      options: z.array(z.looseObject({ name: z.string(), value: z.unknown().optional() })).optional(),
    })
    .optional(),
});

export interface DiscordRouteOptions {
  /** The clock the signature timestamps are checked against (tests may pin it). */
  readonly now?: () => Date;
}

/**
 * The Discord link flows' plain HTTP routes on the daemon's server: the OAuth2 callback
 * (`GET /discord/callback`) and the interaction endpoint for the `/link` slash command
 * (`POST /discord/interactions`). Neither logs a code, a state or a token.
 */
export function discordLinkRoutes(deps: ApiDeps, options: DiscordRouteOptions = {}): HttpRoute[] {
  const now = options.now ?? (() => new Date());
  const log = deps.logger.child({ area: 'discord-links' });
  // One entry per configured public key, with the targets (guilds) it signs for.
  const keys = [
    ...Map.groupBy(
      deps.config.discord.targets.filter((t) => t.interactionPublicKey),
      (t) => t.interactionPublicKey.toLowerCase(),
    ),
  ].map(([hex, targets]) => ({ key: ed25519PublicKey(hex), targets }));
  /** A link made here stands even when its sync cannot be asked for: the scheduled run catches up. */
  const linkContext = (requestId: string) => ({
    db: deps.db,
    notifier: forgivingNotifier(deps.notifier, (error) =>
      log.warn(
        { requestId, err: error },
        'discord: could not request a sync after a link; the scheduled run catches up',
      ),
    ),
  });

  const callback: HttpRoute = async (req, res, url) => {
    if (url.pathname !== DISCORD_CALLBACK_PATH) return false;
    const requestId = crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    const json = String(req.headers.accept ?? '').includes('application/json');
    if (req.method !== 'GET')
      return reply(res, 405, json, { ok: false, reason: 'method', message: 'use GET' });
    const state = url.searchParams.get('state');
    if (!state || state.length > 512) {
      return reply(res, 400, json, {
        ok: false,
        reason: 'no-challenge',
        message: 'the link has no state: start the link again from Roster',
      });
    }
    try {
      const result = await completeDiscordOAuth(
        linkContext(requestId),
        deps.links,
        {
          state,
          code: url.searchParams.get('code'),
          error: url.searchParams.get('error'),
          redirectUri: discordRedirectUri(deps.config),
          requestId,
        },
        now(),
      );
      log.info(
        {
          requestId,
          userId: result.userId,
          target: result.target,
          guild: result.guild,
          guildProblem: result.guildProblem,
        },
        'discord: account linked by OAuth2',
      );
      const guild = describeDiscordGuildOutcome(result.guild);
      reply(res, 200, json, {
        ok: true,
        message: `Discord account ${result.username} is linked. ${guild}`,
        discordUserId: result.discordUserId,
        target: result.target,
        guild: result.guild,
      });
    } catch (error) {
      if (error instanceof LinkError) {
        log.info({ requestId, reason: error.reason }, 'discord: OAuth2 link refused');
        reply(res, linkFailureStatus[error.reason], json, {
          ok: false,
          reason: error.reason,
          message: error.message,
        });
      } else if (error instanceof ConflictError) {
        log.info({ requestId }, 'discord: OAuth2 link refused: account linked to another user');
        reply(res, 409, json, { ok: false, reason: 'taken', message: error.message });
      } else throw error;
    }
    return true;
  };

  const interactions: HttpRoute = async (req, res, url) => {
    if (url.pathname !== DISCORD_INTERACTIONS_PATH) return false;
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
    if (keys.length === 0)
      return sendJson(res, 404, { error: 'no Discord target has an interactionPublicKey' });
    const body = await readBody(req);
    if (!body) return sendJson(res, 413, { error: 'body too large' });
    const verified = verifyDiscordSignature(
      keys,
      { signature: header(req, 'x-signature-ed25519'), timestamp: header(req, 'x-signature-timestamp') },
      body,
      now(),
    );
    if (!verified) return sendJson(res, 401, { error: 'invalid request signature' });
    let parsed;
    try {
      parsed = interactionSchema.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) return sendJson(res, 400, { error: 'not an interaction' });
    const interaction = parsed.data;
    if (interaction.type === PING) return sendJson(res, 200, { type: PONG });
    const say = (content: string) =>
      sendJson(res, 200, { type: CHANNEL_MESSAGE_WITH_SOURCE, data: { content, flags: EPHEMERAL } });
    if (interaction.type !== APPLICATION_COMMAND || interaction.data?.name !== 'link')
      return say('Roster only answers `/link code:<code>`.');

    const requestId = crypto.randomUUID();
    const target = verified.targets.find((t) => t.guildId === interaction.guild_id);
    const discordUserId = interaction.member?.user.id;
    if (!interaction.guild_id || !discordUserId)
      return say('Send `/link` in the Discord server you want to link, not in a direct message.');
    if (!target)
      return say('This server is not kept by Roster: codes work only in the server they were made for.');
    const code = interaction.data.options?.find((o) => o.name === 'code')?.value;
    if (typeof code !== 'string' || code.length > 64) return say('Give your code: `/link code:<code>`.');
    try {
      const result = await completeDiscordCode(
        linkContext(requestId),
        { target: target.name, code, discordUserId, requestId },
        now(),
      );
      log.info({ requestId, userId: result.userId, target: target.name }, 'discord: account linked by code');
      say(`Linked: this Discord account now belongs to ${result.characterName}. Your roles follow shortly.`);
    } catch (error) {
      if (error instanceof LinkError || error instanceof ConflictError) {
        log.info(
          { requestId, target: target.name, reason: error instanceof LinkError ? error.reason : 'taken' },
          'discord: code link refused',
        );
        say(`Not linked: ${error.message}.`);
      } else {
        log.error({ requestId, err: error }, 'discord: code link failed');
        say(`Not linked: Roster failed unexpectedly (request id ${requestId}); try again later.`);
      }
    }
    return true;
  };

  return [callback, interactions];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

interface PageBody {
  readonly ok: boolean;
  readonly message: string;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

/** The callback's answer: JSON for programs (Accept: application/json), else a small HTML page. */
function reply(res: ServerResponse, status: number, json: boolean, body: PageBody): true {
  // The callback URL carries the code and state: no referrer leaves this page.
  res.setHeader('referrer-policy', 'no-referrer');
  if (json) return sendJson(res, status, body);
  const title = body.ok ? 'Discord account linked' : 'Discord account not linked';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Roster: ${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(body.message)}</p><p>You can close this page.</p></body></html>`;
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'",
    })
    .end(html);
  return true;
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
