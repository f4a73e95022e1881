import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { isUUID } from 'class-validator';
import { actorOf, type Auth } from '../../context/auth';
import type { Config } from '../../config';
import { isUniqueViolation } from '../../db/errors';
import { enqueueJob } from '../../db/job-queue';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Campaign } from '../../entities/campaign.entity';
import {
  Provider,
  ProviderHealthState,
  ProviderKind,
  ProviderSecretName,
} from '../../entities/provider.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';
import { normalizePhone } from '../customer/contact-value';
import { OUTBOX_TASKS } from './outbox.service';
import { failSendsOfRemovedProvider } from './removed-provider';
import { SecretBox } from './secrets';

/** The write-only values of a provider, by input field name. */
export interface ProviderSecrets {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  authToken?: string;
}

export interface ProviderFields extends ProviderSecrets {
  name?: string;
  apiBaseUrl?: string;
  accountNumber?: string;
  phoneNumberId?: string;
  businessAccountId?: string;
  accountSid?: string;
}

/** What an adapter needs to call the provider or verify its webhooks: server-side only. */
export interface ProviderCredentials {
  providerId: string;
  organizationId: string;
  kind: ProviderKind;
  apiBaseUrl: string;
  accountNumber: string;
  phoneNumberId: string | null;
  businessAccountId: string | null;
  accountSid: string | null;
  secrets: ProviderSecrets;
}

export const DEFAULT_API_BASE_URL: Record<ProviderKind, string> = {
  [ProviderKind.WHATSAPP_CLOUD]: 'https://graph.facebook.com/v21.0',
  [ProviderKind.TWILIO]: 'https://api.twilio.com/2010-04-01',
};

const SECRET_NAMES: Record<keyof ProviderSecrets, ProviderSecretName> = {
  accessToken: ProviderSecretName.ACCESS_TOKEN,
  appSecret: ProviderSecretName.APP_SECRET,
  verifyToken: ProviderSecretName.VERIFY_TOKEN,
  authToken: ProviderSecretName.AUTH_TOKEN,
};

/** What each kind needs (C1): the identifiers and secrets its adapter uses, and only those. */
const KIND_FIELDS: Record<
  ProviderKind,
  { required: (keyof ProviderFields)[]; allowed: (keyof ProviderFields)[] }
> = {
  [ProviderKind.WHATSAPP_CLOUD]: {
    required: ['phoneNumberId', 'accessToken', 'appSecret', 'verifyToken'],
    allowed: ['phoneNumberId', 'businessAccountId', 'accessToken', 'appSecret', 'verifyToken'],
  },
  [ProviderKind.TWILIO]: {
    required: ['accountSid', 'authToken'],
    allowed: ['accountSid', 'authToken'],
  },
};
const KIND_SPECIFIC: (keyof ProviderFields)[] = [
  'phoneNumberId',
  'businessAccountId',
  'accountSid',
  'accessToken',
  'appSecret',
  'verifyToken',
  'authToken',
];

/** Changing any of these is "new credentials": the provider is given another chance (OK). */
const CREDENTIAL_FIELDS: (keyof ProviderFields)[] = [...KIND_SPECIFIC, 'apiBaseUrl'];

/** How long this instance verifies a provider's webhooks with credentials it read (see verifyingCredentials). */
const RECENT_CREDENTIALS_MS = 5_000;
const MAX_RECENT_CREDENTIALS = 10_000;

/** The provider registry (C1). ADMIN only; no method returns a secret except credentialsOf. */
export class ProviderService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: Config,
  ) {}

  /**
   * The server's entry point refuses to start without a key (main.ts); an instance embedded
   * without one (a benchmark) can do everything but handle secrets.
   */
  private get box(): SecretBox {
    if (!this.config.secretsKey) throw new Error('SECRETS_KEY is not configured');
    return (this.sealer ??= new SecretBox(this.config.secretsKey));
  }

  private sealer: SecretBox | undefined;

  async create(
    auth: Auth,
    fields: ProviderFields & { name: string; kind: ProviderKind; accountNumber: string },
  ): Promise<Provider> {
    checkKindFields(fields.kind, fields, true);
    const id = randomUUID();
    const secrets = pickSecrets(fields);
    const provider = Object.assign(new Provider(), {
      id,
      organizationId: auth.organizationId,
      name: fields.name.trim(),
      kind: fields.kind,
      apiBaseUrl: normalizeBaseUrl(fields.apiBaseUrl ?? DEFAULT_API_BASE_URL[fields.kind]),
      accountNumber: normalizePhone(fields.accountNumber, 'accountNumber'),
      phoneNumberId: fields.phoneNumberId?.trim() ?? null,
      businessAccountId: fields.businessAccountId?.trim() ?? null,
      accountSid: fields.accountSid?.trim() ?? null,
      sealedSecrets: this.box.seal(JSON.stringify(secrets), owner(id)),
      configuredSecrets: secretNames(secrets),
      healthState: ProviderHealthState.OK,
      lastError: null,
      failingSince: null,
    });
    return this.uow.run((tx) => this.save(tx, provider, 'insert'));
  }

  async update(auth: Auth, providerId: string, fields: ProviderFields): Promise<Provider> {
    return this.uow.run(async (tx) => {
      const provider = await this.require(tx.manager, auth, providerId, true);
      checkKindFields(provider.kind, fields, false);
      if (fields.name !== undefined) provider.name = fields.name.trim();
      if (fields.apiBaseUrl !== undefined)
        provider.apiBaseUrl = normalizeBaseUrl(fields.apiBaseUrl);
      if (fields.accountNumber !== undefined)
        provider.accountNumber = normalizePhone(fields.accountNumber, 'accountNumber');
      if (fields.phoneNumberId !== undefined) provider.phoneNumberId = fields.phoneNumberId.trim();
      if (fields.businessAccountId !== undefined)
        provider.businessAccountId = fields.businessAccountId.trim();
      if (fields.accountSid !== undefined) provider.accountSid = fields.accountSid.trim();
      const newSecrets = pickSecrets(fields);
      if (Object.keys(newSecrets).length) {
        const secrets = { ...this.openSecrets(provider), ...newSecrets };
        provider.sealedSecrets = this.box.seal(JSON.stringify(secrets), owner(provider.id));
        provider.configuredSecrets = secretNames(secrets);
      }
      // New credentials: try again. Whatever was held for this provider may flow once it is OK.
      if (CREDENTIAL_FIELDS.some((field) => fields[field] !== undefined)) {
        if (provider.healthState === ProviderHealthState.FAILING) {
          // C6: the outbox it held is released at once (the probe finds it OK), not at the
          // next scheduled probe.
          await enqueueJob(tx.manager, {
            task: OUTBOX_TASKS.probe,
            payload: { providerId: provider.id },
            jobKey: `probe:${provider.id}`,
          });
        }
        provider.healthState = ProviderHealthState.OK;
        provider.lastError = null;
        provider.failingSince = null;
      }
      this.recent.delete(provider.id);
      return this.save(tx, provider, 'update');
    });
  }

  /**
   * C1: refused (CONFLICT) while an enabled campaign uses it; disabled ones lose their provider,
   * and the sends still queued for it are FAILED (`PROVIDER_REMOVED`), in the same transaction.
   */
  async delete(auth: Auth, providerId: string): Promise<Provider> {
    return this.uow.run(async (tx) => {
      const provider = await this.require(tx.manager, auth, providerId, false);
      // Campaigns first, then the provider: the order updateCampaign takes them in (campaign,
      // then a share lock on its provider), so an enable racing this delete waits instead of
      // deadlocking, and this check sees it enabled once it has committed.
      const users = await tx.manager.find(Campaign, {
        where: { providerId: provider.id },
        lock: { mode: 'pessimistic_write' },
      });
      const user = users.find((campaign) => campaign.enabled);
      if (user) {
        throw new ConflictError(
          `Provider "${provider.name}" is used by the enabled campaign "${user.name}": disable it or move it to another provider first`,
          { campaignId: user.id, campaignName: user.name },
        );
      }
      await this.require(tx.manager, auth, providerId, true);
      await failSendsOfRemovedProvider(tx, provider, actorOf(auth));
      await tx.manager.delete(Provider, { id: provider.id });
      this.recent.delete(provider.id);
      return provider;
    });
  }

  get(auth: Auth, id: string): Promise<Provider> {
    return this.require(this.uow.dataSource.manager, auth, id, false);
  }

  list(auth: Auth, page: PageRequest): Promise<Page<Provider>> {
    const query = this.uow.dataSource
      .getRepository(Provider)
      .createQueryBuilder('provider')
      .where('provider.organization_id = :org', { org: auth.organizationId });
    return paginate(query, page, { property: 'name', direction: 'ASC' });
  }

  /**
   * For the adapters only (sending, verifying webhooks): the provider's identifiers and its
   * secrets in clear. Never reachable from a resolver; null for an unknown provider.
   */
  async credentialsOf(
    providerId: string,
    manager: EntityManager = this.uow.dataSource.manager,
  ): Promise<ProviderCredentials | null> {
    if (!isUUID(providerId)) return null;
    const provider = await manager.findOneBy(Provider, { id: providerId });
    return provider ? this.credentialsFrom(provider) : null;
  }

  /**
   * Credentials to verify a webhook with: those this instance read in the last few seconds, else
   * read now. Under a burst of one provider's webhooks the answer then waits for one statement
   * (the store), not two. When verification fails with `recent` credentials the caller asks
   * again with `fresh`, so a rotated secret is seen at once; a secret just replaced on another
   * instance may still verify here for those few seconds (RECENT_CREDENTIALS_MS). An unknown
   * provider is never remembered.
   */
  async verifyingCredentials(
    providerId: string,
    fresh = false,
  ): Promise<{ credentials: ProviderCredentials | null; recent: boolean }> {
    const now = Date.now();
    const kept = fresh ? undefined : this.recent.get(providerId);
    if (kept && kept.until > now) return { credentials: kept.credentials, recent: true };
    const credentials = await this.credentialsOf(providerId);
    if (this.recent.size >= MAX_RECENT_CREDENTIALS) this.recent.clear();
    if (credentials)
      this.recent.set(providerId, { until: now + RECENT_CREDENTIALS_MS, credentials });
    else this.recent.delete(providerId);
    return { credentials, recent: false };
  }

  private readonly recent = new Map<string, { until: number; credentials: ProviderCredentials }>();

  /** The credentials of a provider row the caller read (server-side only). */
  credentialsFrom(provider: Provider): ProviderCredentials {
    return {
      providerId: provider.id,
      organizationId: provider.organizationId,
      kind: provider.kind,
      apiBaseUrl: provider.apiBaseUrl,
      accountNumber: provider.accountNumber,
      phoneNumberId: provider.phoneNumberId,
      businessAccountId: provider.businessAccountId,
      accountSid: provider.accountSid,
      secrets: this.openSecrets(provider),
    };
  }

  /** The provider of this organization (row-locked when asked), or NOT_FOUND. */
  async require(
    manager: EntityManager,
    auth: Auth,
    id: string,
    forUpdate: boolean,
  ): Promise<Provider> {
    const provider = isUUID(id)
      ? await manager.findOne(Provider, {
          where: { id, organizationId: auth.organizationId },
          lock: forUpdate ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!provider) throw new NotFoundError('Provider', id);
    return provider;
  }

  /**
   * Secrets opened, by provider and sealed value: every outbox batch reads its provider's row
   * again, and opened it again (AES-GCM and a JSON parse). Each seal has a fresh IV, so new
   * secrets are a new key; the value is still opened for its own provider only.
   */
  private readonly opened = new Map<string, Readonly<ProviderSecrets>>();

  private openSecrets(provider: Provider): ProviderSecrets {
    if (!provider.sealedSecrets) return {};
    const key = `${provider.id}:${provider.sealedSecrets}`;
    let secrets = this.opened.get(key);
    if (!secrets) {
      secrets = Object.freeze(
        JSON.parse(this.box.open(provider.sealedSecrets, owner(provider.id))) as ProviderSecrets,
      );
      if (this.opened.size >= MAX_RECENT_CREDENTIALS) this.opened.clear();
      this.opened.set(key, secrets);
    }
    return secrets;
  }

  private async save(tx: Tx, provider: Provider, how: 'insert' | 'update'): Promise<Provider> {
    if (!provider.name) throw new BadInputError('name', 'A provider needs a name');
    try {
      if (how === 'insert') await tx.manager.insert(Provider, provider);
      else await tx.manager.save(provider);
      return await tx.manager.findOneByOrFail(Provider, { id: provider.id });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_provider_organization_id_name'))
        throw new ConflictError(`A provider named "${provider.name}" already exists`, {
          field: 'name',
        });
      throw error;
    }
  }
}

function owner(providerId: string): string {
  return `provider:${providerId}`;
}

function pickSecrets(fields: ProviderSecrets): ProviderSecrets {
  const secrets: ProviderSecrets = {};
  for (const name of Object.keys(SECRET_NAMES) as (keyof ProviderSecrets)[]) {
    if (fields[name] !== undefined) secrets[name] = fields[name];
  }
  return secrets;
}

function secretNames(secrets: ProviderSecrets): ProviderSecretName[] {
  return (Object.keys(SECRET_NAMES) as (keyof ProviderSecrets)[])
    .filter((name) => secrets[name])
    .map((name) => SECRET_NAMES[name]);
}

function checkKindFields(kind: ProviderKind, fields: ProviderFields, creating: boolean): void {
  const { required, allowed } = KIND_FIELDS[kind];
  const foreign = KIND_SPECIFIC.find((field) => fields[field] != null && !allowed.includes(field));
  if (foreign) throw new BadInputError(foreign, `A ${kind} provider has no ${foreign}`);
  const blank = allowed.find((field) => fields[field] != null && !fields[field]?.trim());
  if (blank) throw new BadInputError(blank, `${blank} must not be blank`);
  if (!creating) return;
  const missing = required.find((field) => fields[field] == null);
  if (missing) throw new BadInputError(missing, `A ${kind} provider needs ${missing}`);
}

function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new BadInputError('apiBaseUrl', `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BadInputError('apiBaseUrl', 'apiBaseUrl must be an http(s) URL');
  if (url.username || url.password || url.search || url.hash)
    throw new BadInputError('apiBaseUrl', 'apiBaseUrl takes no credentials, query or fragment');
  return url.toString().replace(/\/+$/, '');
}
