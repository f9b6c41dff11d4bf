/**
 * Nickname policy on TeamSpeak: a query client cannot rename other clients, so Roster asks them
 * by private text message, at most once per interval per account (remembered in memory: a
 * daemon restart may repeat a message once). Clients that are offline are asked at a later run.
 */
import type { NicknameChange, SkippedChange } from '../target.ts';
import { QueryErrorId, describeError, errorId } from './errors.ts';
import type { Exec } from './permissions.ts';

export interface NicknameResult {
  /** Accounts that were sent a message. */
  readonly messaged: number;
  readonly skipped: SkippedChange[];
}

export interface OnlineClient {
  readonly clientId: string;
  readonly clientDbId: string;
  readonly uniqueId: string;
  readonly nickname: string;
}

/** Voice clients online (query clients left out), from one `clientlist`. */
export async function listOnlineClients(exec: Exec, withUid = false): Promise<OnlineClient[]> {
  const entries = await exec('clientlist', {}, withUid ? ['-uid'] : []);
  return entries
    .filter((e) => Number(e['clientType'] ?? 0) === 0 && e['clientDatabaseId'] !== undefined)
    .map((e) => ({
      clientId: String(e['clid']),
      clientDbId: String(e['clientDatabaseId']),
      uniqueId: String(e['clientUniqueIdentifier'] ?? ''),
      nickname: String(e['clientNickname'] ?? ''),
    }));
}

export class NicknameMessenger {
  private readonly intervalMs: number;
  private readonly message: (nickname: string) => string;
  private readonly now: () => number;
  /** Account -> when it was last messaged. */
  private readonly lastSent = new Map<string, number>();

  constructor(intervalMs: number, message: (nickname: string) => string, now: () => number = Date.now) {
    this.intervalMs = intervalMs;
    this.message = message;
    this.now = now;
  }

  /** Messages every due account that is online; one `clientlist` plus one message per client. */
  async notify(exec: Exec, changes: readonly NicknameChange[]): Promise<NicknameResult> {
    const now = this.now();
    for (const [account, at] of this.lastSent) if (now - at >= this.intervalMs) this.lastSent.delete(account);
    const due = changes.filter((c) => !this.lastSent.has(c.accountId));
    const result: { messaged: number; skipped: SkippedChange[] } = { messaged: 0, skipped: [] };
    if (due.length === 0) return result;
    const online = new Map<string, OnlineClient[]>();
    for (const client of await listOnlineClients(exec)) {
      online.set(client.clientDbId, [...(online.get(client.clientDbId) ?? []), client]);
    }
    for (const change of due) {
      const clients = (online.get(change.accountId) ?? []).filter((c) => c.nickname !== change.nickname);
      let sent = false;
      for (const client of clients) {
        try {
          await exec('sendtextmessage', {
            targetmode: 1,
            target: client.clientId,
            msg: this.message(change.nickname),
          });
          sent = true;
        } catch (err) {
          const id = errorId(err);
          if (id === null) throw err;
          if (id === QueryErrorId.invalidClientId) continue; // left meanwhile
          result.skipped.push({
            accountId: change.accountId,
            reason: `nickname message: ${describeError(err)}`,
          });
        }
      }
      if (sent) {
        this.lastSent.set(change.accountId, now);
        result.messaged += 1;
      }
    }
    return result;
  }
}
