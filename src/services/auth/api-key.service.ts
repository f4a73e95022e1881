import type { Auth } from '../../context/auth';
import { actorOf } from '../../context/auth';
import type { UnitOfWork } from '../../db/unit-of-work';
import { ApiKey } from '../../entities/api-key.entity';
import { Role } from '../../entities/enums';
import { BadInputError, NotFoundError } from '../../errors/domain-error';
import { isUuid } from '../../authz/access-policy';
import type { AuditService } from '../audit/audit.service';
import { AuditEventKind } from '../../entities/audit-event.entity';
import { API_KEY_PREFIX, hashSecret, newSecret } from './secrets';

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The only time the key is ever shown. */
  key: string;
}

export class ApiKeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  async create(auth: Auth, name: string, role: Role): Promise<CreatedApiKey> {
    if (role === Role.AGENT) {
      throw new BadInputError(
        'role',
        'An API key cannot be an AGENT: agents are people who sign in',
      );
    }
    return this.uow.run(async (tx) => {
      const key = newSecret(API_KEY_PREFIX);
      const apiKey = await tx.manager.save(
        tx.manager.create(ApiKey, {
          organizationId: auth.organizationId,
          name: name.trim(),
          role,
          secretHash: hashSecret(key),
          createdById: auth.staffId,
        }),
      );
      await this.audit.record(
        tx,
        auth.organizationId,
        actorOf(auth),
        AuditEventKind.API_KEY_CREATED,
        { type: 'ApiKey', id: apiKey.id },
        {
          name: apiKey.name,
          role,
        },
      );
      return { apiKey, key };
    });
  }

  async revoke(auth: Auth, id: string): Promise<ApiKey> {
    return this.uow.run(async (tx) => {
      const apiKey = isUuid(id)
        ? await tx.manager.findOne(ApiKey, {
            where: { id, organizationId: auth.organizationId },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (!apiKey) throw new NotFoundError('ApiKey', id);
      if (!apiKey.revokedAt) {
        apiKey.revokedAt = new Date();
        await tx.manager.save(apiKey);
        await this.audit.record(
          tx,
          auth.organizationId,
          actorOf(auth),
          AuditEventKind.API_KEY_REVOKED,
          { type: 'ApiKey', id: apiKey.id },
        );
      }
      return apiKey;
    });
  }

  list(auth: Auth): Promise<ApiKey[]> {
    return this.uow.dataSource
      .getRepository(ApiKey)
      .find({ where: { organizationId: auth.organizationId }, order: { createdAt: 'DESC' } });
  }
}
