import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import type { Context } from '../../context/context';
import type { AssistSession } from '../../entities/assist-session.entity';
import { Staff } from '../../entities/staff.entity';
import { ConnectionArgs, type ConnectionShape, toConnection } from '../../schema/connection';
import { CurrentAuth } from '../../schema/decorators';
import { AssistReportService } from '../../services/assist/assist-report.service';
import { AssistReportGroup } from '../../services/assist/assist-report.queries';
import { AssistSessionConnection } from './assist.inputs';
import {
  AssistReport,
  AssistReportInput,
  AssistReportLine,
  AssistTimesheet,
  AssistTimesheetArgs,
  DAY_RULE,
} from './assist-report.types';

@Resolver()
export class AssistReportResolver {
  constructor(private readonly reports: AssistReportService) {}

  @Authorized(Permission.ReadAssistReports)
  @Query(() => AssistReport, {
    description: `Sessions, total and average time spent assisting, per service, channel, agent or outcome. ${DAY_RULE}`,
  })
  assistReport(
    @CurrentAuth() auth: Auth,
    @Arg('input') { groupBy, ...range }: AssistReportInput,
  ): Promise<AssistReport> {
    return this.reports.report(auth, range, groupBy);
  }

  @Authorized(Permission.AssistCustomers)
  @Query(() => AssistTimesheet, {
    description: `An agent's timesheet: agents see their own, supervisors and admins anyone's. ${DAY_RULE}`,
  })
  assistTimesheet(
    @CurrentAuth() auth: Auth,
    @Args() { agentId, ...range }: AssistTimesheetArgs,
  ): Promise<AssistTimesheet> {
    return this.reports.timesheet(auth, agentId, range);
  }
}

@Resolver(() => AssistReportLine)
export class AssistReportLineResolver {
  @FieldResolver(() => Staff, { nullable: true, description: 'Grouped by AGENT: who.' })
  agent(@Root() line: AssistReportLine, @Ctx() { loaders }: Context): Promise<Staff | null> | null {
    return line.groupBy === AssistReportGroup.AGENT ? loaders.staff.load(line.key) : null;
  }
}

@Resolver(() => AssistTimesheet)
export class AssistTimesheetResolver {
  constructor(private readonly reports: AssistReportService) {}

  @FieldResolver(() => Staff)
  agent(@Root() timesheet: AssistTimesheet, @Ctx() { loaders }: Context): Promise<Staff | null> {
    return loaders.staff.load(timesheet.agentId);
  }

  @FieldResolver(() => AssistSessionConnection, {
    description: 'The sessions it counts, newest first.',
  })
  async entries(
    @CurrentAuth() auth: Auth,
    @Root() timesheet: AssistTimesheet,
    @Args() page: ConnectionArgs,
  ): Promise<ConnectionShape<AssistSession>> {
    return toConnection(await this.reports.entries(auth, timesheet, page));
  }
}
