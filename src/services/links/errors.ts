/** Why a link step was refused; the control plane and the HTTP routes map it to a status. */
export type LinkFailure =
  /** No pending challenge (never started, replaced by a newer one, or cleaned up). */
  | 'no-challenge'
  | 'expired'
  | 'used'
  /** Started and still waiting for the user to act on the platform. */
  | 'pending'
  /** Made for another target (another Discord guild or TeamSpeak server). */
  | 'foreign'
  /** No online client shows the link nickname. */
  | 'not-found'
  /** Several online clients show the link nickname: which one is meant cannot be told. */
  | 'ambiguous'
  /** The target is unknown, or lacks what the flow needs (OAuth2 client, interaction key). */
  | 'not-configured'
  /** The platform refused (Discord declined the code). */
  | 'refused'
  /** The platform could not be reached. */
  | 'unavailable';

/** A link step that did not happen, with a message a person can act on. Never carries a secret. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  readonly reason: LinkFailure;

  constructor(reason: LinkFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** The HTTP status of each failure, for the plain routes (the tRPC routers map the same way). */
export const linkFailureStatus = {
  'no-challenge': 400,
  expired: 400,
  used: 400,
  pending: 409,
  foreign: 400,
  'not-found': 404,
  ambiguous: 409,
  'not-configured': 404,
  refused: 400,
  unavailable: 503,
} as const satisfies Record<LinkFailure, number>;
