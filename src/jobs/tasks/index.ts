import type { TaskList } from 'graphile-worker';
import type { Services } from '../../services';
import { OUTBOX_TASKS } from '../../services/provider/outbox.service';
import { WEBHOOK_TASK } from '../../services/provider/provider-webhook.service';

/**
 * Every task an instance runs, by the name jobs are added with (`enqueueJob({ task })`). A task
 * reads what it works on again from Postgres (the payload holds ids): a job runs at least once,
 * so each is written to be harmless when run again. A task that throws is retried by
 * graphile-worker with its exponential backoff.
 */
export function jobTasks(services: Services): TaskList {
  return {
    [WEBHOOK_TASK]: async (payload) => {
      await services.providerWebhooks.process((payload as { webhookId: string }).webhookId);
    },
    [OUTBOX_TASKS.deliver]: async (payload) => {
      await services.outbox.deliver((payload as { conversationId: string }).conversationId);
    },
    [OUTBOX_TASKS.probe]: async (payload) => {
      const { providerId, attempt } = payload as { providerId: string; attempt?: number };
      await services.outbox.probe(providerId, attempt ?? 1);
    },
  };
}
