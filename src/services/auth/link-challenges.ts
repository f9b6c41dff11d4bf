import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Challenge } from '../../store/entities/index.ts';
import { newId } from '../../crypto.ts';
import { audit } from '../audit.ts';
import { hashSecret } from './tokens.ts';
import { LinkError } from '../links/errors.ts';

export type LinkChallengeKind = 'teamspeak-nickname' | 'discord-code' | 'discord-oauth';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Crockford's base32: no I, L, O, U, so a code read aloud or typed is not misread. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomChars(alphabet: string, length: number): string {
  // 32-letter alphabets: 5 random bits per character, no modulo bias.
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte & 31];
  return out;
}

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

/** The stored hash, namespaced by kind so equal strings of two flows never meet. */
export const challengeHash = (kind: LinkChallengeKind, secret: string): string =>
  hashSecret(`${kind}:${secret}`);

/**
 * Starts a link: deletes the user's pending challenges of the same kind on the target (one
 * pending link per user, kind and target), stores the new one (its hash only), audits the start
 * (never the secret) and flushes. Returns the challenge, for its expiry.
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
  await em.nativeDelete(Challenge, {
    userId: input.userId,
    kind: input.kind,
    target: input.target,
    usedAt: null,
  });
  const challenge = em.create(Challenge, {
    id: newId(),
    kind: input.kind,
    secretHash: challengeHash(input.kind, input.secret),
    userId: input.userId,
    target: input.target,
    data: {},
    expiresAt: new Date(now.getTime() + input.ttlSeconds * 1000),
    usedAt: null,
  });
  audit(em, {
    actorId: input.userId,
    action,
    subject: `user:${input.userId}`,
    after: { target: input.target, ...details, expiresAt: challenge.expiresAt },
    requestId: input.requestId ?? null,
  });
  await em.flush();
  return challenge;
}

/** Throws the LinkError of a challenge that cannot be used any more (used before expired: "used" is the truer answer). */
export function checkUsable(challenge: Challenge, now: Date, what: string): void {
  if (challenge.usedAt) throw new LinkError('used', `this ${what} was already used; start a new link`);
  if (challenge.expiresAt.getTime() <= now.getTime()) {
    throw new LinkError(
      'expired',
      `this ${what} expired at ${challenge.expiresAt.toISOString()}; start a new link`,
    );
  }
}

/**
 * Marks the challenge used with one guarded write (`usedAt` still null), so that of two
 * concurrent completions exactly one wins, on PostgreSQL and MongoDB alike.
 */
export async function claimChallenge(
  em: EntityManager,
  challenge: Challenge,
  now: Date,
  what: string,
): Promise<void> {
  const claimed = await em.nativeUpdate(Challenge, { id: challenge.id, usedAt: null }, { usedAt: now });
  if (claimed !== 1) throw new LinkError('used', `this ${what} was already used; start a new link`);
}
