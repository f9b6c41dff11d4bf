/**
 * The link flows' challenges (TeamSpeak nicknames, Discord codes and OAuth states) over the one
 * single-use claim of ./challenges.ts: their secrets, their start (one pending link per user, kind
 * and target, audited), and their refusals in the words of a LinkError.
 */
import type { EntityManager } from '@mikro-orm/core';
import { Challenge } from '../../store/entities/index.ts';
import { audit } from '../audit.ts';
import { inTransaction } from '../../store/transaction.ts';
import { LinkError } from '../links/errors.ts';
import { challengeState, claimChallenge, issueChallenge } from './challenges.ts';
import { randomChars } from './secrets.ts';

export type LinkChallengeKind = 'teamspeak-nickname' | 'discord-code' | 'discord-oauth';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Crockford's base32: no I, L, O, U, so a code read aloud or typed is not misread. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `roster-` + 10 base32 characters (50 bits): 17 characters, within TeamSpeak's 30. */
export const newLinkNickname = (): string => `roster-${randomChars(BASE32, 10)}`;
export const LINK_NICKNAME = /^roster-[a-z2-7]{10}$/;

/** 8 Crockford base32 characters (40 bits), shown as `XXXX-XXXX`. */
export const newLinkCode = (): string => {
  const raw = randomChars(CROCKFORD, 8);
  return `${raw.slice(0, 4)}-${raw.slice(4)}`;
};

/** What a person typed, in the canonical form: case, spaces and dashes do not matter; O/I/L read as 0/1/1. */
export function normalizeLinkCode(input: string): string | null {
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{8}$/.test(raw)) return null;
  return `${raw.slice(0, 4)}-${raw.slice(4)}`;
}

/**
 * Starts a link: deletes the user's pending challenges of the same kind on the target (one
 * pending link per user, kind and target), stores the new one (its hash only), audits the start
 * (never the secret), all in one transaction. Returns the challenge, for its expiry.
 */
export async function startChallenge(
  em: EntityManager,
  input: {
    kind: LinkChallengeKind;
    userId: string;
    target: string;
    secret: string;
    ttlSeconds: number;
    requestId?: string | null | undefined;
  },
  action: string,
  details: Record<string, unknown>,
  now: Date,
): Promise<Challenge> {
  // One transaction: a failing insert or audit must not leave the user's earlier pending link
  // deleted with no new one in its place.
  return inTransaction(em, async (tx) => {
    await tx.nativeDelete(Challenge, {
      userId: input.userId,
      kind: input.kind,
      target: input.target,
      usedAt: null,
    });
    const challenge = issueChallenge(
      tx,
      {
        kind: input.kind,
        secret: input.secret,
        userId: input.userId,
        target: input.target,
        ttlSeconds: input.ttlSeconds,
      },
      now,
    );
    audit(tx, {
      actorId: input.userId,
      action,
      subject: `user:${input.userId}`,
      after: { target: input.target, ...details, expiresAt: challenge.expiresAt },
      requestId: input.requestId ?? null,
    });
    await tx.flush();
    return challenge;
  });
}

function unusable(state: 'used' | 'expired', challenge: Challenge, what: string): LinkError {
  return state === 'used'
    ? new LinkError('used', `this ${what} was already used; start a new link`)
    : new LinkError(
        'expired',
        `this ${what} expired at ${challenge.expiresAt.toISOString()}; start a new link`,
      );
}

/** Throws the LinkError of a challenge that cannot be used any more. */
export function checkUsable(challenge: Challenge, now: Date, what: string): void {
  const state = challengeState(challenge, now);
  if (state !== 'usable') throw unusable(state, challenge, what);
}

/**
 * Claims a link challenge (./challenges.ts claimChallenge); a refusal is thrown as the LinkError a
 * person reads: `unknown` is what to say of a secret nobody issued.
 */
export async function claimLinkChallenge(
  em: EntityManager,
  kind: LinkChallengeKind,
  secret: string,
  now: Date,
  what: string,
  unknown: string,
): Promise<Challenge> {
  const claim = await claimChallenge(em, kind, secret, now);
  if (claim.ok) return claim.challenge;
  if (claim.reason === 'unknown') throw new LinkError('no-challenge', unknown);
  throw unusable(claim.reason, claim.challenge, what);
}
