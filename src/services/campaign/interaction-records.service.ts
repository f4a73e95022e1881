import { Permission, can } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Page, PageRequest } from '../../db/pagination';
import type { Direction, InteractionState } from '../../entities/enums';
import { BadInputError } from '../../errors/domain-error';
import { normalizePhone } from '../customer/contact-value';
import type { InteractionRecordRow, RecordsStore } from './recordings.store';

/** The filters of `interactionRecords` (C15); each one given narrows the list. */
export interface InteractionRecordFilter {
  from?: Date | null;
  to?: Date | null;
  number?: string | null;
  subject?: string | null;
  campaignId?: string | null;
  agentId?: string | null;
  direction?: Direction | null;
  state?: InteractionState | null;
}

/** A uuid no staff member has. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

/** `%`, `_` and `\` written as themselves in a LIKE pattern (backslash is LIKE's escape). */
const literalForLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Recordings (C15): a search over the organization's campaign interactions, each row giving its
 * date, number, campaign, agent, direction and state, its transcript on demand. Supervisors and
 * admins search everything; agents and dispatchers the interactions they attended.
 */
export class InteractionRecordsService {
  constructor(
    private readonly store: RecordsStore,
    private readonly defaultPhoneCountry: string | undefined,
  ) {}

  search(
    auth: Auth,
    filter: InteractionRecordFilter,
    page: PageRequest,
  ): Promise<Page<InteractionRecordRow>> {
    if (filter.from && filter.to && filter.from > filter.to)
      throw new BadInputError('filter.to', 'to must not be before from');
    const subject = filter.subject?.trim();
    return this.store.search(
      {
        organizationId: auth.organizationId,
        onlyAssignedTo: can(auth, Permission.ReadAllInteractionRecords)
          ? null
          : (auth.staffId ?? NOBODY),
        from: filter.from ?? null,
        to: filter.to ?? null,
        number: filter.number?.trim()
          ? normalizePhone(filter.number, 'filter.number', this.defaultPhoneCountry)
          : null,
        subjectPattern: subject ? `%${literalForLike(subject)}%` : null,
        campaignId: filter.campaignId ?? null,
        agentId: filter.agentId ?? null,
        direction: filter.direction ?? null,
        state: filter.state ?? null,
      },
      page,
    );
  }
}
