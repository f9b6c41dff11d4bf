/**
 * Server group membership writes: one `servergroupaddclient` / `servergroupdelclient` per group
 * with every client database id in it (`cldbid=1|cldbid=2|...`), split only past
 * `maxIdsPerCommand` ids. When the server refuses a batch because of one client (it no longer
 * exists, or is already where we want it), that batch is redone client by client so the rest
 * still lands, and the bad ids are reported as skipped.
 */
import type { MembershipChange, SkippedChange } from '../target.ts';
import { QueryErrorId, describeError, errorId } from './errors.ts';
import type { Exec } from './permissions.ts';

export type MembershipKind = 'add' | 'remove';

export interface MembershipResult {
  /** Memberships now as requested (an "already a member" answer counts: the change is in effect). */
  done: number;
  readonly skipped: SkippedChange[];
  readonly errors: string[];
}

const commands = { add: 'servergroupaddclient', remove: 'servergroupdelclient' } as const;

/** Answers about a single client of a batch: the batch is redone client by client. */
const clientErrors = new Set<string>([
  QueryErrorId.invalidClientId,
  QueryErrorId.emptyResult,
  QueryErrorId.duplicateEntry,
  QueryErrorId.emptyResultSet,
]);

/** Answers meaning the membership already is as wanted. */
const alreadyDone: Record<MembershipKind, ReadonlySet<string>> = {
  add: new Set([QueryErrorId.duplicateEntry]),
  remove: new Set([QueryErrorId.emptyResultSet, QueryErrorId.emptyResult]),
};

type Verdict = 'done' | 'skip' | 'stop';

/** Rethrows connection errors (the caller aborts the batch); classifies the server's answers. */
function verdict(kind: MembershipKind, err: unknown): Verdict {
  const id = errorId(err);
  if (id === null) throw err;
  if (alreadyDone[kind].has(id)) return 'done';
  return clientErrors.has(id) ? 'skip' : 'stop';
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `unknownClients` remembers client database ids the server said do not exist (a stale link):
 * they are skipped up front in later adds, so one stale link does not make every run redo its
 * group's batch client by client at the flood budget's pace.
 */
export async function applyMembershipChanges(
  exec: Exec,
  kind: MembershipKind,
  changes: readonly MembershipChange[],
  maxIdsPerCommand: number,
  unknownClients: Set<string> = new Set(),
): Promise<MembershipResult> {
  const result: MembershipResult = { done: 0, skipped: [], errors: [] };
  for (const change of changes) {
    const ids = [...new Set(change.accountIds)];
    for (const id of ids.filter((i) => !/^\d+$/.test(i))) {
      result.skipped.push({
        accountId: id,
        groupId: change.groupId,
        reason: 'not a TeamSpeak client database id',
      });
    }
    const known = (i: string) => kind === 'remove' || !unknownClients.has(i);
    for (const id of ids.filter((i) => /^\d+$/.test(i) && !known(i))) {
      result.skipped.push({
        accountId: id,
        groupId: change.groupId,
        reason: 'no such client on the server (the link is stale: relink it)',
      });
    }
    const valid = ids.filter((i) => /^\d+$/.test(i) && known(i));
    for (const chunk of chunks(valid, Math.max(1, maxIdsPerCommand))) {
      if (!(await applyChunk(exec, kind, change.groupId, chunk, result, unknownClients))) break;
    }
  }
  return result;
}

/** False when the group itself refused (missing, no permission): its other chunks are not tried. */
async function applyChunk(
  exec: Exec,
  kind: MembershipKind,
  groupId: string,
  chunk: readonly string[],
  result: MembershipResult,
  unknownClients: Set<string>,
): Promise<boolean> {
  const command = commands[kind];
  let firstError: unknown;
  try {
    await exec(command, { sgid: groupId, cldbid: [...chunk] });
    result.done += chunk.length;
    return true;
  } catch (err) {
    const answer = verdict(kind, err);
    firstError = err;
    if (answer === 'stop') {
      result.errors.push(`${command} sgid=${groupId} (${chunk.length} clients): ${describeError(err)}`);
      return false;
    }
  }
  for (const cldbid of chunk) {
    let err: unknown = firstError;
    if (chunk.length > 1) {
      try {
        await exec(command, { sgid: groupId, cldbid });
        result.done += 1;
        continue;
      } catch (caught) {
        err = caught;
      }
    }
    const answer = verdict(kind, err);
    if (answer === 'done') result.done += 1;
    else if (answer === 'skip') {
      result.skipped.push({ accountId: cldbid, groupId, reason: describeError(err) });
      if (kind === 'add' && errorId(err) === QueryErrorId.invalidClientId) unknownClients.add(cldbid);
    } else {
      result.errors.push(`${command} sgid=${groupId} cldbid=${cldbid}: ${describeError(err)}`);
      return false;
    }
  }
  return true;
}
