/**
 * EVE SSO login, end to end. `startLogin` gives the authorize URL with a random single-use
 * `state` (stored hashed, with an expiry) and the scopes the character must grant. `complete`
 * handles the callback: it claims the state, exchanges the code, verifies the JWT access token
 * (signature against the SSO's JWKS, issuer, audience, expiry), reads the character from ESI,
 * decides with the login cascade and the mandatory scopes, and only then writes: the user (and
 * its corporation and alliance), the encrypted refresh token, and a per-user API token.
 * A corporation guest invitation is a login state carrying `inviteCorporationId`.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Config } from '../../config/schema.ts';
import {
  GUEST,
  levelAfterOfficeChange,
  loginDecision,
  mandatoryEsiScopesOfUser,
  officeFloor,
  type LoginDecision,
  type UserFacts,
} from '../../domain/index.ts';
import type { EsiClient } from '../../esi/client.ts';
import { EsiError, EsiNotFoundError } from '../../esi/errors.ts';
import type { EsiCharacter } from '../../esi/schemas.ts';
import { SsoError, SsoInvalidGrantError, SsoInvalidTokenError } from '../../esi/sso-errors.ts';
import type { VerifiedAccessToken } from '../../esi/sso-verify.ts';
import type { SsoClient, SsoTokens } from '../../esi/sso.ts';
import type { Logger } from '../../logger.ts';
import { audit } from '../audit.ts';
import { findHostingCorporation, recordGuest, type Host } from './guests.ts';
import { createSession, type StartedSession } from './sessions.ts';
import { createToken } from './tokens.ts';
import { claimChallenge, issueChallenge } from './challenges.ts';
import { randomToken } from './secrets.ts';
import { Alliance, Corporation, User } from '../../store/entities/index.ts';
import { newId } from '../../crypto.ts';
import { inTransaction } from '../../store/transaction.ts';
import { encryptRefreshToken } from './refresh-tokens.ts';
import { affiliatedFacts, directoryAround, type Affiliated } from '../login-facts.ts';
import { createAllianceRecord, createCorporationRecord } from '../esi-records.ts';
import { newUser } from '../../store/records.ts';
import { toUserFacts } from '../../store/directory.ts';

export interface LoginSettings {
  /** Asked at every member's login, besides the mandatory scopes. */
  readonly scopes: readonly string[];
  /** Asked of guests (and required of them) instead of `scopes` and the host's mandatory scopes. */
  readonly guestScopes: readonly string[];
  readonly stateTtlSeconds: number;
  readonly inviteTtlSeconds: number;
  readonly apiTokenTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  /** Empty: refresh tokens are not stored. */
  readonly encryptionKey: string;
}

export const loginSettingsOf = (config: Config): LoginSettings => ({
  scopes: config.sso.scopes,
  guestScopes: config.sso.guestScopes,
  stateTtlSeconds: config.sso.stateTtlSeconds,
  inviteTtlSeconds: config.sso.inviteTtlSeconds,
  apiTokenTtlSeconds: config.sso.apiTokenTtlSeconds,
  sessionTtlSeconds: config.sso.sessionTtlSeconds,
  encryptionKey: config.sso.encryptionKey,
});

interface StateData {
  characterId?: number;
  /** A guest invitation: whoever logs in with this state becomes a guest of the corporation (or alliance). */
  inviteCorporationId?: number;
  inviteAllianceId?: number;
  invitedBy?: string;
}

const inviteOf = (data: StateData): Host | null =>
  data.inviteCorporationId !== undefined
    ? { kind: 'corporation', id: data.inviteCorporationId }
    : data.inviteAllianceId !== undefined
      ? { kind: 'alliance', id: data.inviteAllianceId }
      : null;

export interface LoginStart {
  /** Where to send the browser. */
  readonly url: string;
  /** The scopes asked: the configured ones and the character's mandatory ones, where known. */
  readonly scopes: string[];
  readonly expiresAt: Date;
}

export interface LoginStartInput {
  /** The character about to log in, when known: its mandatory scopes are asked for. */
  readonly characterId?: number | undefined;
  /** A guest invitation: whoever logs in with this state becomes a guest of the host. */
  readonly invite?: Host | undefined;
  readonly invitedBy?: string | undefined;
  /** Scopes to ask besides the configured and the known mandatory ones (a retry after missing scopes). */
  readonly scopes?: readonly string[] | undefined;
}

/**
 * Scopes to ask of a character: the configured ones and its mandatory ones if the store knows it
 * (no ESI call); a known guest, or whoever follows a guest invitation, only the guests' scopes.
 */
async function scopesFor(
  em: EntityManager,
  settings: LoginSettings,
  characterId: number | undefined,
  invited: boolean,
): Promise<string[]> {
  const user = characterId === undefined ? null : await em.findOne(User, { characterId });
  if (user ? user.clearanceLevel <= GUEST : invited) return [...new Set(settings.guestScopes)].sort();
  let mandatory: string[] = [];
  if (user) {
    const facts = toUserFacts(user);
    mandatory = mandatoryEsiScopesOfUser(
      facts,
      await directoryAround(em, facts, await affiliatedFacts(em, null, facts.corporationId)),
    );
  }
  return [...new Set([...settings.scopes, ...mandatory])].sort();
}

export async function startLogin(
  em: EntityManager,
  sso: Pick<SsoClient, 'authorizeUrl'>,
  settings: LoginSettings,
  input: LoginStartInput = {},
): Promise<LoginStart> {
  const scopes = [
    ...new Set([
      ...(await scopesFor(em, settings, input.characterId, input.invite !== undefined)),
      ...(input.scopes ?? []),
    ]),
  ].sort();
  const state = randomToken();
  const ttl = input.invite ? settings.inviteTtlSeconds : settings.stateTtlSeconds;
  const data: StateData = {};
  if (input.characterId !== undefined) data.characterId = input.characterId;
  if (input.invite?.kind === 'corporation') data.inviteCorporationId = input.invite.id;
  if (input.invite?.kind === 'alliance') data.inviteAllianceId = input.invite.id;
  if (input.invitedBy !== undefined) data.invitedBy = input.invitedBy;
  const { expiresAt } = issueChallenge(
    em,
    { kind: 'sso-login', secret: state, userId: null, target: null, data: { ...data }, ttlSeconds: ttl },
    new Date(),
  );
  await em.flush();
  return { url: sso.authorizeUrl(state, scopes), scopes, expiresAt };
}

export type LoginError =
  | 'invalid-request'
  | 'invalid-state'
  | 'state-used'
  | 'state-expired'
  | 'invalid-code'
  | 'invalid-token'
  | 'character-not-found'
  | 'login-denied'
  | 'missing-scopes'
  | 'unavailable'
  | 'sso-error';

export interface LoginRefusal {
  readonly error: LoginError;
  readonly message: string;
  /** invalid-token: what was wrong (`signature`, `expired`, `issuer`, ...); login-denied: the cascade's reason. */
  readonly reason?: string;
  /** login-denied: what denied it (`corporation ABC`, `group X`, ...). */
  readonly by?: string;
  readonly missingScopes?: string[];
  /** missing-scopes: a fresh login URL that asks for them. */
  readonly loginUrl?: string;
}

/** What a successful login hands out: an API token (API clients) or a browser session (the portal). */
export type LoginCredential = 'api-token' | 'session';

export interface LoginSuccess {
  /** The API token, shown once: `Authorization: Bearer <token>`; null when a session was asked. */
  readonly token: string | null;
  readonly tokenId: string | null;
  readonly expiresAt: Date | null;
  /** The browser session, when one was asked (its secret goes into the cookie only). */
  readonly session: StartedSession | null;
  readonly created: boolean;
  /** Set when the login made the character a guest of this corporation or alliance. */
  readonly guestOf: Host | null;
  readonly user: {
    readonly id: string;
    readonly characterId: number;
    readonly characterName: string;
    readonly corporationId: number | null;
    readonly clearanceLevel: number;
  };
}

export type LoginOutcome =
  | { readonly ok: true; readonly status: 200; readonly login: LoginSuccess }
  | { readonly ok: false; readonly status: 400 | 401 | 403 | 502 | 503; readonly refusal: LoginRefusal };

export interface SsoLogin {
  start(input?: LoginStartInput): Promise<LoginStart>;
  /** The callback: never throws for anything a browser or the SSO can cause. */
  complete(params: { code: string; state: string }, credential?: LoginCredential): Promise<LoginOutcome>;
}

export interface SsoLoginOptions {
  readonly db: { fork(): EntityManager };
  readonly sso: SsoClient;
  readonly esi: EsiClient;
  readonly settings: LoginSettings;
  readonly logger: Logger;
  /** Runs after a successful login was saved (autogroups, a sync); its failure is logged, never the login's. */
  readonly afterLogin?: (login: LoginSuccess) => Promise<void>;
  readonly now?: () => Date;
}

const refuse = (status: 400 | 401 | 403 | 502 | 503, refusal: LoginRefusal): LoginOutcome => ({
  ok: false,
  status,
  refusal,
});

/** Maps an SSO or ESI failure to a refusal; anything else is rethrown. */
function refusalFor(error: unknown): LoginOutcome {
  if (error instanceof SsoInvalidGrantError) {
    return refuse(400, {
      error: 'invalid-code',
      message: 'the EVE SSO refused the authorization code (used or expired); log in again',
    });
  }
  if (error instanceof SsoInvalidTokenError) {
    return refuse(401, {
      error: 'invalid-token',
      reason: error.reason,
      message: `the access token was refused: ${error.reason}`,
    });
  }
  if (error instanceof EsiNotFoundError) {
    return refuse(400, {
      error: 'character-not-found',
      message: 'ESI does not know this character (deleted?)',
    });
  }
  if ((error instanceof SsoError || error instanceof EsiError) && error.transient) {
    return refuse(503, {
      error: 'unavailable',
      message: 'EVE SSO or ESI is unavailable; try again in a moment',
    });
  }
  if (error instanceof SsoError || error instanceof EsiError) {
    return refuse(502, {
      error: 'sso-error',
      message: `EVE SSO or ESI refused the request (${error.message})`,
    });
  }
  throw error;
}

/**
 * Logs a refused login with its real cause (the typed error's name and message, which carry
 * no secret: codes, states and tokens are never put in messages) and returns it.
 */
function refused(log: Logger, outcome: LoginOutcome, error?: unknown): LoginOutcome {
  if (outcome.ok) return outcome;
  const { refusal } = outcome;
  log.info(
    {
      error: refusal.error,
      status: outcome.status,
      ...(refusal.reason ? { reason: refusal.reason } : {}),
      ...(refusal.by ? { by: refusal.by } : {}),
      ...(refusal.missingScopes ? { missingScopes: refusal.missingScopes } : {}),
      ...(error instanceof Error ? { cause: `${error.name}: ${error.message}` } : {}),
    },
    'sso:login-refused',
  );
  return outcome;
}

function denialMessage(decision: Extract<LoginDecision, { allowed: false }>): string {
  return decision.reason === 'denied'
    ? `login denied by ${decision.by ?? 'the directory'}`
    : 'not authorized: none of your user, corporation, alliance, coalitions or groups is allowed to log in';
}

export function createSsoLogin(options: SsoLoginOptions): SsoLogin {
  const { db, sso, esi, settings } = options;
  const logger = options.logger.child({ area: 'sso-login' });
  const now = options.now ?? (() => new Date());
  let warnedNoKey = false;

  /** Claims the state (one conditional write, so that it works exactly once) for its data. */
  async function claimState(em: EntityManager, state: string): Promise<{ data: StateData } | LoginOutcome> {
    const claim = await claimChallenge(em, 'sso-login', state, now());
    if (claim.ok) return { data: claim.challenge.data as StateData };
    switch (claim.reason) {
      case 'unknown':
        return refuse(400, { error: 'invalid-state', message: 'unknown login state; start the login again' });
      case 'used':
        return refuse(400, {
          error: 'state-used',
          message: 'this login state was already used; start the login again',
        });
      case 'expired':
        return refuse(400, {
          error: 'state-expired',
          message: 'this login state has expired; start the login again',
        });
    }
  }

  async function complete(
    params: { code: string; state: string },
    credential: LoginCredential,
  ): Promise<LoginOutcome> {
    const em = db.fork();
    const claim = await claimState(em, params.state);
    if ('ok' in claim) return refused(logger, claim);
    const invite = inviteOf(claim.data);

    let tokens: SsoTokens;
    let identity: VerifiedAccessToken;
    let character: EsiCharacter;
    let affiliated: Affiliated;
    try {
      tokens = await sso.exchangeCode(params.code);
      identity = await sso.verifyAccessToken(tokens.accessToken);
      character = await esi.getCharacter(identity.characterId);
    } catch (error) {
      return refused(logger, refusalFor(error), error);
    }
    const characterId = identity.characterId;
    const log = logger.child({ characterId });

    // Decide on an in-memory view of the directory; nothing is written unless the login is allowed.
    const existing = await em.findOne(User, { characterId });
    const wasGuest = existing !== null && existing.clearanceLevel <= GUEST;
    // A guest belongs to the corporation hosting it (or to none once removed), not to its own.
    let corporationId = wasGuest ? (existing.corporationId ?? null) : character.corporationId;
    try {
      affiliated = await affiliatedFacts(em, wasGuest ? null : esi, corporationId);
    } catch (error) {
      return refused(log, refusalFor(error), error);
    }
    const corporation = affiliated.corporation;
    const floor = officeFloor(
      corporation?.ceoCharacterId === characterId,
      corporation?.ceoCharacterId === characterId &&
        affiliated.alliance?.executorCorporationId === corporation.corporationId,
    );
    let facts: UserFacts = {
      id: existing?.id ?? newId(),
      characterId,
      characterName: character.name,
      corporationId,
      clearanceLevel: existing?.clearanceLevel ?? levelAfterOfficeChange(0, 0, floor),
      authorizedToLogin: existing?.authorizedToLogin ?? null,
    };
    let dir = await directoryAround(em, facts, affiliated);
    let decision = loginDecision(facts, dir);
    let guestOf: Host | null = null;
    let note = '';
    if (!decision.allowed && invite) {
      // A guest invitation lets in whoever is not a member: it becomes a guest of the host.
      const hostCorporation = await findHostingCorporation(em, invite);
      if (existing && existing.clearanceLevel > GUEST) {
        note = `; the guest invitation is for non-members, and you are a member (clearance ${existing.clearanceLevel})`;
      } else if (hostCorporation === null) {
        log.warn({ invite }, 'sso:invitation-host-unknown');
      } else {
        corporationId = hostCorporation;
        affiliated = await affiliatedFacts(em, null, corporationId);
        facts = { ...facts, corporationId, clearanceLevel: GUEST };
        dir = await directoryAround(em, facts, affiliated);
        decision = loginDecision(facts, dir);
        guestOf = invite;
      }
    }
    if (!decision.allowed) {
      return refused(
        log,
        refuse(403, {
          error: 'login-denied',
          reason: decision.reason,
          ...(decision.by ? { by: decision.by } : {}),
          message: denialMessage(decision) + note,
        }),
      );
    }

    const mandatory = mandatoryEsiScopesOfUser(facts, dir, settings.guestScopes);
    const missingScopes = mandatory.filter((s) => !identity.scopes.includes(s));
    if (missingScopes.length > 0) {
      const retry = await startLogin(db.fork(), sso, settings, {
        characterId,
        scopes: mandatory,
        ...(invite ? { invite, invitedBy: claim.data.invitedBy } : {}),
      });
      return refused(
        log,
        refuse(403, {
          error: 'missing-scopes',
          missingScopes,
          loginUrl: retry.url,
          message: `the login must grant these ESI scopes: ${missingScopes.join(', ')}`,
        }),
      );
    }

    const login = await save(em, {
      existing,
      facts,
      character,
      identity,
      tokens,
      affiliated,
      guestOf,
      invitedBy: claim.data.invitedBy ?? null,
      credential,
    });
    log.info({ userId: login.user.id, created: login.created, guestOf, tokenId: login.tokenId }, 'sso:login');
    try {
      await options.afterLogin?.(login);
    } catch (error) {
      log.error({ err: error }, 'sso:after-login-failed');
    }
    return { ok: true, status: 200, login };
  }

  async function save(
    em: EntityManager,
    s: {
      existing: User | null;
      facts: UserFacts;
      character: EsiCharacter;
      identity: VerifiedAccessToken;
      tokens: SsoTokens;
      affiliated: Affiliated;
      guestOf: Host | null;
      invitedBy: string | null;
      credential: LoginCredential;
    },
  ): Promise<LoginSuccess> {
    let refreshToken: string | null = null;
    if (s.tokens.refreshToken === null) {
      // No scope granted, so the SSO issued no refresh token: there is nothing to store (and a
      // token stored by an earlier login with scopes stays as it is).
    } else if (settings.encryptionKey) {
      refreshToken = encryptRefreshToken(s.tokens.refreshToken, settings.encryptionKey, s.facts.characterId);
    } else if (!warnedNoKey) {
      warnedNoKey = true;
      logger.warn(
        'sso.encryptionKey is empty: refresh tokens are not stored, so no director token can be used',
      );
    }
    return inTransaction(em, async (tx) => {
      const { newCorporation, newAlliance } = s.affiliated;
      if (
        newAlliance &&
        !(await tx.findOne(Alliance, { allianceId: newAlliance.allianceId }, { fields: ['id'] }))
      ) {
        createAllianceRecord(tx, newAlliance, false);
      }
      if (
        newCorporation &&
        !(await tx.findOne(Corporation, { corporationId: newCorporation.corporationId }, { fields: ['id'] }))
      ) {
        createCorporationRecord(tx, newCorporation, false);
      }
      // An invitation records the guest the way the guests service does (host corporation, level -1).
      const invited = s.guestOf
        ? await recordGuest(tx, s.guestOf, {
            characterId: s.facts.characterId,
            characterName: s.character.name,
          })
        : null;
      const user =
        invited?.user ??
        s.existing ??
        newUser(tx, {
          id: s.facts.id,
          characterId: s.facts.characterId,
          characterName: s.character.name,
          corporationId: s.facts.corporationId,
          clearanceLevel: s.facts.clearanceLevel,
        });
      const before = s.existing
        ? { corporationId: s.existing.corporationId ?? null, clearanceLevel: s.existing.clearanceLevel }
        : null;
      user.characterName = s.character.name;
      user.corporationId = s.facts.corporationId;
      user.clearanceLevel = s.facts.clearanceLevel;
      user.esiScopes = [...s.identity.scopes].sort();
      user.lastLoginAt = now();
      if (refreshToken) {
        user.refreshToken = refreshToken;
        user.refreshTokenValid = true;
      }
      await tx.flush();
      if (s.guestOf) {
        audit(tx, {
          actorId: s.invitedBy,
          action: `${s.guestOf.kind}.guests.join`,
          subject: `user:${user.id}`,
          before,
          after: {
            host: `${s.guestOf.kind}:${s.guestOf.id}`,
            corporationId: user.corporationId ?? null,
            clearanceLevel: GUEST,
          },
        });
      }
      const session =
        s.credential === 'session'
          ? createSession(tx, { userId: user.id, ttlSeconds: settings.sessionTtlSeconds }, now())
          : null;
      const token = session
        ? null
        : await createToken(tx, {
            userId: user.id,
            kind: 'user',
            comment: 'EVE SSO login',
            ttlSeconds: settings.apiTokenTtlSeconds,
          });
      audit(tx, {
        actorId: user.id,
        action: 'auth.login',
        subject: `user:${user.id}`,
        before,
        after: {
          corporationId: user.corporationId ?? null,
          clearanceLevel: user.clearanceLevel,
          ...(token ? { tokenId: token.id } : { sessionId: session!.id }),
        },
      });
      await tx.flush();
      return {
        token: token?.secret ?? null,
        tokenId: token?.id ?? null,
        expiresAt: token ? token.expiresAt : session!.expiresAt,
        session,
        created: s.existing === null,
        guestOf: s.guestOf,
        user: {
          id: user.id,
          characterId: user.characterId,
          characterName: user.characterName,
          corporationId: user.corporationId ?? null,
          clearanceLevel: user.clearanceLevel,
        },
      };
    });
  }

  return {
    start: (input) => startLogin(db.fork(), sso, settings, input),
    complete: async (params, credential = 'api-token') => {
      if (!params.code || !params.state || params.code.length > 2048 || params.state.length > 256) {
        return refused(
          logger,
          refuse(400, { error: 'invalid-request', message: 'the callback needs `code` and `state`' }),
        );
      }
      return complete(params, credential);
    },
  };
}
