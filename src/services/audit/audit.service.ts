import type { ActorRef } from '../../context/auth';
import type { Tx } from '../../db/unit-of-work';
import { AuditEvent } from '../../entities/audit-event.entity';

/** Writes the audit trail inside the transaction of the change it records. */
export class AuditService {
  async record(
    tx: Tx,
    organizationId: string,
    actor: ActorRef,
    action: string,
    subjectType: string,
    subjectId: string | null,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    await tx.manager.save(
      tx.manager.create(AuditEvent, {
        organizationId,
        actorKind: actor.kind,
        actorId: actor.id,
        action,
        subjectType,
        subjectId,
        data,
      }),
    );
  }
}
