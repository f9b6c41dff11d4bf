/**
 * Notice before removal: a group may give its members a grace (hours) before they lose it because
 * of its rule, their membership's end date, or a lost login authorization. When one is about to
 * lose the group, a notice says why and until when; the removal waits until then (an end date
 * stays the end date: the notice comes `grace` before it). Without a grace, removals are at once.
 */
export const noticeReasons = ['rule', 'expiry', 'login'] as const;
export type NoticeReason = (typeof noticeReasons)[number];

/** A member who is losing a group, and why. */
export interface Losing {
  readonly groupId: string;
  readonly userId: string;
  readonly reason: NoticeReason;
  /** For people: "clearance 1 is below 2", "the membership ends", "login denied by corporation X". */
  readonly detail: string;
  /** When it happens without grace: the end date for `expiry`, now for the others. */
  readonly dueAt: Date;
}

/** A notice given earlier (one per member and group). */
export interface GivenNotice {
  readonly groupId: string;
  readonly userId: string;
  readonly reason: NoticeReason;
  readonly removeAt: Date;
}

export interface NewNotice {
  readonly groupId: string;
  readonly userId: string;
  readonly reason: NoticeReason;
  readonly detail: string;
  readonly removeAt: Date;
}

export interface RemovalPlan {
  /** Removals due now (for `login`: the sync stops holding the platform group). */
  readonly remove: readonly Losing[];
  /** Removals waiting out their notice. */
  readonly hold: readonly (Losing & { readonly removeAt: Date })[];
  /** Notices to give now. */
  readonly notify: readonly NewNotice[];
  /** Notices whose member no longer loses the group (they match again, came back, or left). */
  readonly clear: readonly GivenNotice[];
}

const key = (groupId: string, userId: string) => `${groupId}/${userId}`;

/**
 * Decides, for every member losing a group, whether the removal happens now or waits, and which
 * notices to give or withdraw. `graceMs` is the group's grace (null: none). Pure.
 */
export function planRemovals(
  losing: readonly Losing[],
  graceMs: (groupId: string) => number | null,
  notices: readonly GivenNotice[],
  now: Date,
): RemovalPlan {
  const given = new Map(notices.map((n) => [key(n.groupId, n.userId), n]));
  const still = new Set<string>();
  const remove: Losing[] = [];
  const hold: (Losing & { removeAt: Date })[] = [];
  const notify: NewNotice[] = [];
  const replaced: GivenNotice[] = [];
  for (const l of losing) {
    const k = key(l.groupId, l.userId);
    if (still.has(k)) continue; // one reason per member and group: the first one found
    still.add(k);
    const grace = graceMs(l.groupId);
    if (grace === null) {
      if (l.dueAt.getTime() <= now.getTime()) remove.push(l);
      continue;
    }
    // A notice for another reason is replaced: the member is told the reason that holds now.
    const found = given.get(k);
    const notice = found?.reason === l.reason ? found : undefined;
    if (found && !notice) replaced.push(found);
    // An end date stays the end date (moved by a leader, it moves the removal too).
    const removeAt = l.reason === 'expiry' ? l.dueAt : (notice?.removeAt ?? new Date(now.getTime() + grace));
    if (removeAt.getTime() <= now.getTime()) remove.push(l);
    else {
      hold.push({ ...l, removeAt });
      if (!notice) notify.push({ ...pick(l), removeAt });
    }
  }
  const clear = [...replaced, ...notices.filter((n) => !still.has(key(n.groupId, n.userId)))];
  return { remove, hold, notify, clear };
}

const pick = (l: Losing) => ({ groupId: l.groupId, userId: l.userId, reason: l.reason, detail: l.detail });

/** What a notice says: the group, why, and until when. */
export function noticeText(notice: {
  readonly groupName: string;
  readonly reason: NoticeReason;
  readonly detail: string;
  readonly removeAt: Date;
}): string {
  const until = notice.removeAt
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d{3}Z$/, ' UTC');
  const why =
    notice.reason === 'expiry'
      ? 'your membership ends'
      : notice.reason === 'login'
        ? `you may no longer log in (${notice.detail})`
        : `you no longer meet its rule (${notice.detail})`;
  return `Roster: you will lose the group "${notice.groupName}" on ${until}: ${why}.`;
}
