import type { FakeGuild } from './guild.ts';
import { apiError, isRecord, ok, type Route } from './http.ts';
import { snowflake } from './model.ts';

/** A message the bot sent to a user in their DM channel. */
export interface DirectMessage {
  readonly channelId: string;
  readonly userId: string;
  readonly content: string;
  readonly at: number;
}

const CONTENT_MAX = 2000;

/**
 * Direct messages through the bot, as Discord REST v10 has them: `POST /users/@me/channels`
 * (`{ recipient_id }`) opens the DM channel (the same one every time), `POST
 * /channels/:channel/messages` (`{ content }`) posts to it. A bot may only message users who share
 * a guild with it (50007 otherwise), and users in `closedDms` refuse DMs from it (50007 too).
 */
export class DirectMessages {
  readonly sent: DirectMessage[] = [];
  /** Users whose privacy settings refuse DMs from the guild's members. */
  readonly closedDms = new Set<string>();
  readonly #channels = new Map<string, string>(); // channel id -> user id
  readonly #guild: FakeGuild;

  constructor(guild: FakeGuild) {
    this.#guild = guild;
  }

  /** The messages a user got, in order. */
  to(userId: string): string[] {
    return this.sent.filter((m) => m.userId === userId).map((m) => m.content);
  }

  routes(): Route[] {
    const guild = this.#guild;
    return [
      {
        method: 'POST',
        pattern: '/users/@me/channels',
        bucket: 'route',
        auth: 'bot',
        handler: (req) => {
          const recipient = isRecord(req.body) ? req.body.recipient_id : undefined;
          if (typeof recipient !== 'string' || !/^\d+$/.test(recipient))
            return apiError(400, 50035, 'Invalid Form Body', {
              recipient_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }] },
            });
          const user = guild.users.get(recipient);
          if (!user) return apiError(400, 50033, 'Invalid Recipient(s)');
          let id = [...this.#channels].find(([, u]) => u === recipient)?.[0];
          if (!id) this.#channels.set((id = snowflake()), recipient);
          return ok({ id, type: 1, last_message_id: null, flags: 0, recipients: [user] });
        },
      },
      {
        method: 'POST',
        pattern: '/channels/:channel/messages',
        bucket: 'route',
        auth: 'bot',
        handler: (req) => {
          const channelId = req.params.channel ?? '';
          const userId = this.#channels.get(channelId);
          if (!userId) return apiError(404, 10003, 'Unknown Channel');
          const content = isRecord(req.body) ? req.body.content : undefined;
          if (typeof content !== 'string' || content.length === 0)
            return apiError(400, 50006, 'Cannot send an empty message');
          if (content.length > CONTENT_MAX)
            return apiError(400, 50035, 'Invalid Form Body', {
              content: {
                _errors: [
                  { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${CONTENT_MAX} or fewer in length.` },
                ],
              },
            });
          if (!guild.members.has(userId) || this.closedDms.has(userId))
            return apiError(403, 50007, 'Cannot send messages to this user');
          const message = { channelId, userId, content, at: Date.now() };
          this.sent.push(message);
          return ok({
            id: snowflake(),
            type: 0,
            channel_id: channelId,
            content,
            author: guild.users.get(guild.botUserId),
            timestamp: new Date(message.at).toISOString(),
            edited_timestamp: null,
            tts: false,
            mention_everyone: false,
            mentions: [],
            mention_roles: [],
            attachments: [],
            embeds: [],
            pinned: false,
          });
        },
      },
    ];
  }
}
