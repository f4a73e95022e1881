import { AuthorKind, Role } from '../entities/enums';

/** Who is calling, established once per request (HTTP) or per connection (WebSocket). */
export interface Auth {
  organizationId: string;
  role: Role;
  /** The staff member; null for an API key. */
  staffId: string | null;
  apiKeyId: string | null;
  /** The sign-in session whose token was used. */
  signInSessionId: string | null;
  /** The window: a WebSocket's own session, or the sign-in session for a plain HTTP client. */
  clientSessionId: string | null;
  name: string;
}

/** Who caused something, as events and audit rows record it. */
export interface ActorRef {
  kind: AuthorKind;
  id: string | null;
  name: string;
}

/**
 * An action taken for a customer (A4): it is the customer's own, and records who took it. With
 * assisted service the actor is the assisting staff member, in the assist session; an
 * INTEGRATION key acting for the customer's own channel records no assistant.
 */
export interface OnBehalf {
  organizationId: string;
  /** Who acted: the staff member, or the API key. */
  actor: ActorRef;
  /** Whose action it is. */
  customerId: string;
  /** The staff member assisting; null when the customer acted through their own channel. */
  assistedById: string | null;
  assistSessionId: string | null;
}

export function actorOf(auth: Auth): ActorRef {
  if (auth.staffId) return { kind: AuthorKind.STAFF, id: auth.staffId, name: auth.name };
  if (auth.apiKeyId) return { kind: AuthorKind.API_KEY, id: auth.apiKeyId, name: auth.name };
  return { kind: AuthorKind.SYSTEM, id: null, name: auth.name };
}

/** An operator acting through the CLI on one organization. */
export function operatorAuth(organizationId: string): Auth {
  return {
    organizationId,
    role: Role.ADMIN,
    staffId: null,
    apiKeyId: null,
    signInSessionId: null,
    clientSessionId: null,
    name: 'tandem CLI',
  };
}

export const SYSTEM_ACTOR: ActorRef = { kind: AuthorKind.SYSTEM, id: null, name: 'Tandem' };
