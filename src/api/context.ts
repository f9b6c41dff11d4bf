import type { IncomingMessage } from 'node:http';
import type { Actor } from '../domain/index.ts';
import type { Logger } from '../logger.ts';
import type { User } from '../store/entities/index.ts';
import { verifyToken } from '../services/auth/tokens.ts';
import { userAffiliation } from '../services/users.ts';
import type { ApiDeps } from './deps.ts';
import type { AuthLimiter } from '../services/auth/rate-limit.ts';

export interface AuthedActor extends Actor {
  readonly user: User;
  readonly tokenId: string;
}

export interface Context {
  readonly deps: ApiDeps;
  readonly requestId: string;
  readonly ip: string;
  readonly log: Logger;
  readonly actor: AuthedActor | null;
  /** Why a presented token was refused, for the UNAUTHORIZED message. */
  readonly authProblem: string | null;
  readonly limiter: AuthLimiter;
}

export async function createContext(
  deps: ApiDeps,
  limiter: AuthLimiter,
  req: IncomingMessage,
  requestId: string,
): Promise<Context> {
  const ip = req.socket.remoteAddress ?? 'unknown';
  const log = deps.logger.child({ requestId });
  const base = { deps, requestId, ip, log, limiter };
  const header = req.headers.authorization;
  if (!header) return { ...base, actor: null, authProblem: null };
  if (limiter.blocked(ip))
    return { ...base, actor: null, authProblem: 'too many failed attempts; wait a minute' };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    limiter.fail(ip);
    return { ...base, actor: null, authProblem: 'the Authorization header must be "Bearer <token>"' };
  }
  const em = deps.db.fork();
  const check = await verifyToken(em, match[1]!);
  if (!check.ok) {
    limiter.fail(ip);
    return { ...base, actor: null, authProblem: check.reason };
  }
  const { user, token } = check;
  const affiliation = await userAffiliation(em, user);
  return {
    ...base,
    log: log.child({ actorId: user.id }),
    actor: {
      userId: user.id,
      characterId: user.characterId,
      clearanceLevel: user.clearanceLevel,
      affiliation,
      user,
      tokenId: token.id,
    },
    authProblem: null,
  };
}
