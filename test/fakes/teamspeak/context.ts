/** What a command handler sees: the parsed command, its query session and the fake's state. */
import { errors, type Params, type ParsedCommand, type ResponseRecord } from './protocol.ts';
import { permissionId } from './permissions.ts';
import type { FakeState, VirtualServer } from './state.ts';

export interface Session {
  readonly id: number;
  readonly address: string;
  readonly remotePort: number;
  /** Logged-in query account name, or null. */
  account: string | null;
  /** Selected virtual server, or null. */
  sid: number | null;
  /** This query client's id on the selected virtual server. */
  clid: string | null;
  /** Nickname asked for with `use client_nickname=` or `clientupdate`, kept across `use`. */
  nickname: string | null;
  /** Arrival times of recent commands, for flood protection. */
  readonly commandTimes: number[];
  /** Set by `quit`: the socket closes after the reply. */
  closing: boolean;
}

export class CommandContext {
  readonly cmd: ParsedCommand;
  readonly session: Session;
  readonly state: FakeState;

  constructor(cmd: ParsedCommand, session: Session, state: FakeState) {
    this.cmd = cmd;
    this.session = session;
    this.state = state;
  }

  /** The first parameter block. */
  get params(): Params {
    return this.cmd.blocks[0] ?? {};
  }

  /** A parameter the command cannot do without (error 1539 when missing). */
  required(key: string, params: Params = this.params): string {
    const value = params[key];
    if (value === undefined) throw errors.parameterNotFound();
    return value;
  }

  /** Every value of `key` over all `|` blocks (`cldbid=1|cldbid=2`). */
  all(key: string): string[] {
    return this.cmd.blocks.map((block) => this.required(key, block));
  }

  flag(name: string): boolean {
    return this.cmd.flags.has(name);
  }

  /** Throws 2568 with failed_permid unless logged in and the permission is not denied. */
  requirePermission(name: string): void {
    if (this.session.account !== null && !this.state.deniedPermissions.has(name)) return;
    throw errors.insufficientPermissions(permissionId(name) ?? 0);
  }

  /** The selected virtual server (error 1024 when none is selected). */
  server(): VirtualServer {
    const sid = this.session.sid;
    const server = sid === null ? undefined : this.state.servers.get(sid);
    if (!server) throw errors.invalidServerId();
    return server;
  }
}

export type Reply = ResponseRecord[] | void;
export type Handler = (ctx: CommandContext) => Reply;
export type HandlerTable = Readonly<Record<string, Handler>>;

/** A list answer: an empty one is the real server's `error id=1281` (database empty result set). */
export function nonEmpty(records: ResponseRecord[]): ResponseRecord[] {
  if (records.length === 0) throw errors.emptyResult();
  return records;
}
