import type { SkippedChange } from '../target.ts';
import type { GuildSnapshot } from './guild-snapshot.ts';
import { SkipReason, type EditPlan } from './member-edits.ts';

/**
 * Member edits Discord refused (403 Missing Permissions, 50013: the member is the owner or above
 * the bot in the hierarchy), remembered per member so that they are not sent again every run:
 * each costs one of the 10 member edits Discord allows per 10 s and counts towards Cloudflare's
 * invalid-request limit. A refusal holds while what Discord decided on is unchanged: the member's
 * roles, the roles' positions and the bot's place (its top position and permissions). When any
 * of them changes the edit is tried again.
 */
export interface Refusal {
  readonly reason: string;
  readonly since: Date;
  /** The state the refusal was given in; see `fingerprint`. */
  readonly fingerprint: string;
}

export interface RefusalMemory {
  /** Moves the edits of members with a standing refusal to `skipped`. */
  hold(snapshot: GuildSnapshot, plan: EditPlan): EditPlan;
  /** Remembers the members whose edits this apply's report shows refused (Missing Permissions). */
  learn(snapshot: GuildSnapshot, skipped: readonly SkippedChange[], now: Date): void;
  /** Standing refusals, by member id. */
  list(): ReadonlyMap<string, Refusal>;
}

/** What Discord's decision on a member depends on, as one string. */
export function fingerprint(
  snapshot: GuildSnapshot,
  memberId: string,
  guildPart = guildFingerprint(snapshot),
) {
  const roles = [...(snapshot.members.get(memberId)?.roles ?? [])].sort().join(',');
  return `${roles}|${guildPart}`;
}

/** The hierarchy: every role's position, the bot's top position and permissions. */
export function guildFingerprint(snapshot: GuildSnapshot): string {
  const positions = [...snapshot.roles.values()].map((r) => `${r.id}:${r.position}`).sort();
  return `${positions.join(',')}|${snapshot.botTopPosition}|${snapshot.botPermissions}`;
}

export const refusedBefore = (since: Date) =>
  `${SkipReason.missingPermissions} at ${since.toISOString()}; not sent again until the member's roles, the role positions or the bot's roles change`;

export function createRefusalMemory(): RefusalMemory {
  const refusals = new Map<string, Refusal>();
  return {
    hold(snapshot, plan) {
      if (refusals.size === 0) return plan;
      const guildPart = guildFingerprint(snapshot);
      const skipped = [...plan.skipped];
      const edits = plan.edits.filter((edit) => {
        const refusal = refusals.get(edit.userId);
        if (!refusal) return true;
        if (refusal.fingerprint !== fingerprint(snapshot, edit.userId, guildPart)) {
          refusals.delete(edit.userId);
          return true;
        }
        const reason = refusedBefore(refusal.since);
        for (const groupId of [...edit.added, ...edit.removed])
          skipped.push({ accountId: edit.userId, groupId, reason });
        if (edit.nick !== undefined) skipped.push({ accountId: edit.userId, reason });
        return false;
      });
      return { edits, skipped };
    },
    learn(snapshot, skipped, now) {
      const refused = new Set(
        skipped.filter((s) => s.reason === SkipReason.missingPermissions).map((s) => s.accountId),
      );
      if (refused.size === 0) return;
      const guildPart = guildFingerprint(snapshot);
      for (const memberId of refused)
        refusals.set(memberId, {
          reason: SkipReason.missingPermissions,
          since: now,
          fingerprint: fingerprint(snapshot, memberId, guildPart),
        });
    },
    list: () => refusals,
  };
}
