import { RESTJSONErrorCodes, Routes, type RESTPatchAPIGuildMemberJSONBody } from 'discord.js';
import type { Logger } from 'pino';
import type { ApplyReport, SkippedChange } from '../target.ts';
import type { GuildSnapshot } from './guild-snapshot.ts';
import { SkipReason, type EditPlan, type MemberEdit } from './member-edits.ts';
import { describeError, discordCode, type DiscordRest } from './rest-client.ts';

export interface ApplyContext {
  readonly api: DiscordRest;
  readonly snapshot: GuildSnapshot;
  /** Sent as X-Audit-Log-Reason (already trimmed to Discord's length limit). */
  readonly reason: string;
  readonly concurrency: number;
  readonly maxConsecutiveFailures: number;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

/**
 * Sends one PATCH per member edit. Discord's refusals become skips; other failures become errors
 * (after @discordjs/rest's and the backoff retries); a run of failures stops the rest of the batch.
 */
export async function applyMemberEdits(ctx: ApplyContext, plan: EditPlan): Promise<ApplyReport> {
  const { api, snapshot, signal, logger } = ctx;
  const skipped: SkippedChange[] = [...plan.skipped];
  const errors: string[] = [];
  let added = 0;
  let removed = 0;
  let nicknamesChanged = 0;
  let consecutiveFailures = 0;
  let answered = false;
  let next = 0;

  const patch = (edit: MemberEdit, withNick: boolean): Promise<unknown> => {
    const body: RESTPatchAPIGuildMemberJSONBody = {};
    if (edit.roles) body.roles = [...edit.roles];
    if (withNick && edit.nick !== undefined) body.nick = edit.nick;
    const route = Routes.guildMember(snapshot.guildId, edit.userId);
    return api.withBackoff(() => api.rest.patch(route, { body, reason: ctx.reason, signal }), signal);
  };

  const skipAll = (edit: MemberEdit, reason: string, nickToo: boolean): void => {
    for (const groupId of [...edit.added, ...edit.removed])
      skipped.push({ accountId: edit.userId, groupId, reason });
    if (nickToo && edit.nick !== undefined) skipped.push({ accountId: edit.userId, reason });
  };

  const succeeded = (edit: MemberEdit, withNick: boolean): void => {
    consecutiveFailures = 0;
    answered = true;
    const member = snapshot.members.get(edit.userId);
    if (edit.roles) {
      added += edit.added.length;
      removed += edit.removed.length;
      if (member) member.roles = edit.roles;
    }
    if (withNick && edit.nick !== undefined) {
      nicknamesChanged++;
      if (member) member.nick = edit.nick;
    }
  };

  const failed = (edit: MemberEdit, error: unknown, nickToo: boolean): void => {
    const code = discordCode(error);
    const reason =
      code === RESTJSONErrorCodes.MissingPermissions
        ? SkipReason.missingPermissions
        : code === RESTJSONErrorCodes.UnknownMember
          ? SkipReason.unknownMember
          : code === RESTJSONErrorCodes.UnknownRole
            ? SkipReason.unknownRoleOnApply
            : null;
    if (code !== undefined) answered = true;
    if (reason) {
      consecutiveFailures = 0;
      if (code === RESTJSONErrorCodes.UnknownMember) snapshot.members.delete(edit.userId);
      skipAll(edit, reason, nickToo);
      logger?.info({ member: edit.userId, reason }, 'discord: member edit skipped');
      return;
    }
    consecutiveFailures++;
    errors.push(`member ${edit.userId}: ${describeError(error)}`);
    logger?.warn({ member: edit.userId, err: describeError(error) }, 'discord: member edit failed');
  };

  const run = async (edit: MemberEdit): Promise<void> => {
    try {
      await patch(edit, true);
      succeeded(edit, true);
      return;
    } catch (error) {
      const code = discordCode(error);
      const nickRefused =
        edit.nick !== undefined &&
        (code === RESTJSONErrorCodes.MissingPermissions ||
          code === RESTJSONErrorCodes.InvalidFormBodyOrContentType);
      if (!nickRefused) return failed(edit, error, true);
      const reason =
        code === RESTJSONErrorCodes.MissingPermissions
          ? SkipReason.missingPermissions
          : SkipReason.invalidNickname;
      skipped.push({ accountId: edit.userId, reason });
      if (!edit.roles) return void (consecutiveFailures = 0);
    }
    try {
      await patch(edit, false);
      succeeded(edit, false);
    } catch (error) {
      failed(edit, error, false);
    }
  };

  /** Runs up to `max` edits; returns whether it ran any. */
  const worker = async (max = Infinity): Promise<boolean> => {
    let done = 0;
    while (done < max && next < plan.edits.length) {
      if (consecutiveFailures >= ctx.maxConsecutiveFailures || signal?.aborted) break;
      const edit = plan.edits[next++];
      if (edit) await run(edit);
      done++;
    }
    return done > 0;
  };
  // PATCHes go one at a time until Discord answers one: until an answer names the bucket,
  // @discordjs/rest queues under a provisional key, and a second queue for it would overrun it.
  while (!answered && (await worker(1)));
  await Promise.all(Array.from({ length: Math.max(1, ctx.concurrency) }, () => worker()));

  const notAttempted = plan.edits.length - next;
  if (notAttempted > 0) {
    const why = signal?.aborted ? 'target stopped' : `${consecutiveFailures} member edits failed in a row`;
    errors.push(`${why}: ${notAttempted} member edits not attempted`);
  }
  return { added, removed, nicknamesChanged, skipped, errors };
}
