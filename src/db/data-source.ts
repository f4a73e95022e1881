import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../../migrations';
import { TandemNamingStrategy } from './naming-strategy';
import { installTypeParsers } from './pg-types';
import type { Logger } from '../logger';

/**
 * Counts the SQL statements a data source sends. Tests read it to pin "no N+1"; it costs an
 * increment per statement.
 */
export class StatementCounter implements TypeOrmLogger {
  /** Set while a background job (sweeper, session check) runs: its statements are not counted. */
  static readonly background = new AsyncLocalStorage<true>();
  /**
   * Whether background statements are told apart from requests' (tests that pin statements per
   * request turn it on). Off by default: an AsyncLocalStorage in use puts a promise hook on
   * every promise of the process on Node 20 (measured: an await costs ~2.8 times as much), and
   * nothing but tests and benchmarks reads the count.
   */
  static separateBackground = false;

  count = 0;
  /** When set, every statement is also recorded (tests that want to see which). */
  recorded: string[] | undefined;

  constructor(private readonly logger?: Logger) {}

  logQuery(query: string): void {
    if (StatementCounter.background.getStore()) return;
    this.count += 1;
    this.recorded?.push(query);
  }
  logQueryError(error: string | Error, query: string): void {
    this.logger?.debug(`query failed: ${String(error)} -- ${query}`);
  }
  logQuerySlow(time: number, query: string): void {
    this.logger?.info(`slow query (${time} ms): ${query.slice(0, 300)}`);
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.logger?.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.info(String(message));
  }
}

/** Runs a background job whose statements the counter leaves out (they are not any request's). */
export function inBackground<T>(job: () => Promise<T>): Promise<T> {
  return StatementCounter.separateBackground ? StatementCounter.background.run(true, job) : job();
}

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  logger?: Logger;
}

/** Connections an instance's pool holds (the job runner has its own). */
export const DEFAULT_POOL_SIZE = 10;

export function createDataSource({
  url,
  poolSize = DEFAULT_POOL_SIZE,
  logger,
}: DataSourceOptions): DataSource {
  installTypeParsers();
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migration',
    namingStrategy: new TandemNamingStrategy(),
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+; schema changes only come from migrations.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: true,
    logger: new StatementCounter(logger),
    maxQueryExecutionTime: 1000,
    extra: {
      max: poolSize,
      application_name: 'tandem',
      options: '-c TimeZone=UTC',
      // A request waits at most this long for a connection (a database that does not answer,
      // or a pool that stays busy) before it fails as SERVICE_UNAVAILABLE.
      connectionTimeoutMillis: 5000,
    },
  });
}

export function statementCounter(dataSource: DataSource): StatementCounter {
  return dataSource.logger as StatementCounter;
}
