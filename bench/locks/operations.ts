/**
 * The operations a console sends, as test/operations/locks.graphql and conversations.graphql
 * write them (the benchmark sends text, not the test's generated documents).
 */
const LOCK_FIELDS = `fragment LockFields on TicketLock {
  conversationId
  inboxId
  sessionId
  token
  acquiredAt
  holder {
    id
    name
  }
}`;

export const OPEN_TICKET = `mutation OpenTicket($input: TicketInput!) {
  openTicket(input: $input) {
    __typename
    ... on TicketLockAcquired {
      lock {
        ...LockFields
      }
    }
    ... on TicketLockedByOther {
      lock {
        ...LockFields
      }
    }
  }
}
${LOCK_FIELDS}`;

export const RELEASE_TICKET = `mutation ReleaseTicket($input: TicketInput!) {
  releaseTicket(input: $input) {
    released
    lock {
      ...LockFields
    }
  }
}
${LOCK_FIELDS}`;

export const TICKET_LOCK_EVENTS = `subscription TicketLockEvents($inboxId: ID!) {
  ticketLockEvents(inboxId: $inboxId) {
    seq
    kind
    at
    conversationId
    note
    actor {
      kind
      name
      staff {
        id
      }
    }
    lock {
      ...LockFields
    }
    locks {
      ...LockFields
    }
  }
}
${LOCK_FIELDS}`;

export const CONVERSATION_EVENTS = `subscription ConversationEvents($inboxId: ID!, $after: Int) {
  conversationEvents(inboxId: $inboxId, after: $after) {
    seq
    kind
    at
    actor {
      kind
      name
      staff {
        id
      }
    }
    conversation {
      id
      status
      assignee {
        id
      }
    }
    message {
      id
      body
    }
  }
}`;

/** The baseline's one subscription field. */
export const BASELINE_EVENTS = `subscription Events($channel: ID!) {
  events(channel: $channel) {
    seq
    kind
    at
    body
  }
}`;

export const HELLO = '{ hello }';

/** A request body for one of the mutations above, on one ticket. */
export const ticketBody = (query: string, conversationId: string): string =>
  JSON.stringify({ query, variables: { input: { conversationId } } });
