import type { TaskList } from 'graphile-worker';
import type { Services } from '../../services';

/**
 * Every task an instance runs, by the name jobs are added with (`enqueueJob({ task })`). A task
 * reads what it works on again from Postgres (the payload holds ids): a job runs at least once,
 * so each is written to be harmless when run again.
 */
export function jobTasks(_services: Services): TaskList {
  return {};
}
