import express, { type Express, type Request } from 'express';
import type { Logger } from '../logger';

/** What the webhook route asks of the domain (ProviderWebhookService). */
export interface WebhookReceiver {
  /**
   * Verifies a delivery and, when genuine, stores it as received (and its processing job) in one
   * transaction. Nothing is stored for an unknown provider or a bad signature.
   */
  accept(delivery: {
    providerId: string;
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    publicUrl: string;
  }): Promise<WebhookAcceptance>;
  /** A GET verification handshake: the challenge to answer, or why not. */
  handshake(providerId: string, query: Record<string, unknown>): Promise<HandshakeAnswer>;
}

export type WebhookAcceptance =
  | { outcome: 'STORED'; kind: string }
  | { outcome: 'UNKNOWN_PROVIDER' }
  | { outcome: 'BAD_SIGNATURE' };

export type HandshakeAnswer =
  | { outcome: 'CHALLENGE'; challenge: string }
  | { outcome: 'UNKNOWN_PROVIDER' }
  | { outcome: 'REFUSED' };

/** Twilio reads the answer to an inbound message as TwiML: an empty one sends nothing back. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * `POST /webhooks/providers/:providerId` (signed deliveries) and `GET` (WhatsApp's verification
 * handshake). The body is read as raw bytes, never parsed before the signature is checked: the
 * signature is over the exact bytes the provider sent. A delivery is answered as soon as it is
 * stored (200), processed later from the stored row by a job; 401 stores nothing, so the
 * provider's retry of a genuine delivery is what counts.
 */
export function mountProviderWebhooks(
  app: Express,
  receiver: WebhookReceiver,
  options: { maxBodyBytes: number; logger: Logger },
): void {
  const path = '/webhooks/providers/:providerId';
  app.post(
    path,
    express.raw({ type: () => true, limit: options.maxBodyBytes }),
    async (req, res, next) => {
      try {
        const answer = await receiver.accept({
          providerId: String(req.params.providerId),
          rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          headers: req.headers,
          publicUrl: publicUrlOf(req),
        });
        switch (answer.outcome) {
          case 'UNKNOWN_PROVIDER':
            res.status(404).json({ error: 'unknown provider' });
            return;
          case 'BAD_SIGNATURE':
            res.status(401).json({ error: 'bad or missing signature' });
            return;
          case 'STORED':
            if (answer.kind === 'TWILIO') res.status(200).type('text/xml').send(EMPTY_TWIML);
            else res.status(200).type('text/plain').send('OK');
            return;
        }
      } catch (error) {
        // Not stored: a 5xx makes the provider deliver again later.
        next(error);
      }
    },
  );
  app.get(path, async (req, res, next) => {
    try {
      const answer = await receiver.handshake(
        String(req.params.providerId),
        req.query as Record<string, unknown>,
      );
      if (answer.outcome === 'CHALLENGE') res.status(200).type('text/plain').send(answer.challenge);
      else if (answer.outcome === 'UNKNOWN_PROVIDER') res.status(404).send('unknown provider');
      else res.status(403).send('verification refused');
    } catch (error) {
      next(error);
    }
  });
}

/**
 * The URL the provider called (Twilio signs it): scheme and host as the client saw them, through
 * the proxies TRUST_PROXY names (X-Forwarded-Proto, X-Forwarded-Host), with the query string.
 */
function publicUrlOf(req: Request): string {
  return `${req.protocol}://${req.host}${req.originalUrl}`;
}
