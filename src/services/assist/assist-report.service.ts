import type { AccessPolicy } from '../../authz/access-policy';
import { Permission, can } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import {
  decodePosition,
  encodeCursor,
  type Page,
  type PageRequest,
  requirePageSize,
} from '../../db/pagination';
import { preparedQuery } from '../../db/prepared';
import { hydrate } from '../../db/rows';
import type { UnitOfWork } from '../../db/unit-of-work';
import { AssistSession } from '../../entities/assist-session.entity';
import { BadInputError, ForbiddenError } from '../../errors/domain-error';
import { assistColumns } from './assist.store';
import {
  AssistReportGroup,
  type DateRange,
  reportStatement,
  timesheetStatement,
} from './assist-report.queries';

export interface AssistReportLine extends Figures {
  groupBy: AssistReportGroup;
  /** The service, channel, staff id or outcome. */
  key: string;
}

export interface AssistReport {
  from: string;
  to: string;
  timeZone: string;
  groupBy: AssistReportGroup;
  lines: AssistReportLine[];
  totals: Figures;
}

export interface TimesheetDay {
  date: string;
  sessions: number;
  totalSeconds: number;
}

export interface AssistTimesheet {
  agentId: string;
  from: string;
  to: string;
  timeZone: string;
  days: TimesheetDay[];
  sessions: number;
  totalSeconds: number;
  /** The range as instants, for the timesheet's entries. */
  startsAt: Date;
  endsAt: Date;
}

/** Longer ranges are refused: a timesheet lists every day. */
const MAX_DAYS = 366;

/**
 * Time spent assisting (A6) and each agent's timesheet (A5). A session belongs to the local day
 * it started on, in the organization's time zone (or the one asked for), whole: the interaction
 * log is a timesheet entry, dated once. Only ended sessions count (time spent is known then).
 */
export class AssistReportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
  ) {}

  async report(auth: Auth, range: DateRange, groupBy: AssistReportGroup): Promise<AssistReport> {
    requireRange(range);
    const { text, values } = reportStatement(auth.organizationId, range, groupBy);
    const rows = await this.query<{
      time_zone: string;
      key: string | null;
      sessions: number | null;
      total_seconds: string | null;
    }>(text, values);
    const lines = rows
      .filter((row) => row.key !== null)
      .map((row) => ({
        groupBy,
        key: row.key as string,
        ...figures(Number(row.sessions), Number(row.total_seconds)),
      }));
    const totals = figures(
      lines.reduce((sum, l) => sum + l.sessions, 0),
      lines.reduce((sum, l) => sum + l.totalSeconds, 0),
    );
    return {
      from: range.from,
      to: range.to,
      timeZone: rows[0]?.time_zone ?? 'UTC',
      groupBy,
      lines,
      totals,
    };
  }

  /** An agent's own, or anyone's for those who read reports. */
  async timesheet(auth: Auth, agentId: string, range: DateRange): Promise<AssistTimesheet> {
    requireRange(range);
    const agent = await this.access.requireStaff(this.uow.dataSource.manager, auth, agentId);
    if (agent.id !== auth.staffId && !can(auth, Permission.ReadAssistReports))
      throw new ForbiddenError('Agents see only their own timesheet');
    const { text, values } = timesheetStatement(auth.organizationId, agent.id, range);
    const rows = await this.query<{
      time_zone: string;
      starts_at: Date;
      ends_at: Date;
      day: string;
      sessions: number;
      total_seconds: string;
    }>(text, values);
    const days = rows.map((row) => ({
      date: row.day,
      sessions: Number(row.sessions),
      totalSeconds: Number(row.total_seconds),
    }));
    return {
      agentId: agent.id,
      from: range.from,
      to: range.to,
      timeZone: rows[0]?.time_zone ?? 'UTC',
      days,
      sessions: days.reduce((sum, d) => sum + d.sessions, 0),
      totalSeconds: days.reduce((sum, d) => sum + d.totalSeconds, 0),
      startsAt: rows[0]?.starts_at as Date,
      endsAt: rows[0]?.ends_at as Date,
    };
  }

  /** The timesheet's entries: the sessions it counts (started in the range, ended), newest first. */
  async entries(
    auth: Auth,
    timesheet: AssistTimesheet,
    page: PageRequest,
  ): Promise<Page<AssistSession>> {
    requirePageSize(page.first);
    const values: unknown[] = [
      auth.organizationId,
      timesheet.agentId,
      timesheet.startsAt,
      timesheet.endsAt,
      page.first + 1,
    ];
    let position = '';
    if (page.after) {
      const [startedAt, id] = decodePosition(page.after, 'timestamp');
      values.push(startedAt, id);
      position = 'AND (a.started_at, a.id) < ($6::timestamptz, $7::uuid)';
    }
    const rows = await preparedQuery(
      this.uow.dataSource,
      `SELECT ${assistColumns('a')} FROM assist_session a
        WHERE a.organization_id = $1 AND a.staff_id = $2 AND a.started_at >= $3 AND a.started_at < $4
          AND (a.ended_at IS NOT NULL OR a.expires_at <= now()) ${position}
        ORDER BY a.started_at DESC, a.id DESC LIMIT $5`,
      values,
    );
    const sessions = rows.map((row) => hydrate(this.uow.dataSource, AssistSession, row));
    const nodes = sessions.slice(0, page.first);
    return {
      nodes,
      cursors: nodes.map((s) => encodeCursor([s.startedAt.toISOString(), s.id])),
      hasNextPage: sessions.length > page.first,
      totalCount: () => Promise.resolve(timesheet.sessions),
    };
  }

  private async query<T>(text: string, values: unknown[]): Promise<T[]> {
    try {
      return await preparedQuery<T>(this.uow.dataSource, text, values);
    } catch (error) {
      // A zone name ICU knows but this PostgreSQL does not.
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === '22023') throw new BadInputError('timeZone', 'Not a time zone PostgreSQL knows');
      throw error;
    }
  }
}

interface Figures {
  sessions: number;
  totalSeconds: number;
  averageSeconds: number;
}

function figures(sessions: number, totalSeconds: number): Figures {
  return {
    sessions,
    totalSeconds,
    averageSeconds: sessions ? Math.round((totalSeconds / sessions) * 1000) / 1000 : 0,
  };
}

function requireRange(range: DateRange): void {
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
  if (days < 1) throw new BadInputError('to', 'to must not be before from');
  if (days > MAX_DAYS) throw new BadInputError('to', `At most ${MAX_DAYS} days at once`);
}
