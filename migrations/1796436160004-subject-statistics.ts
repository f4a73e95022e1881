import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics of `lower(subject)`, the expression the recordings search (C15) matches: without
 * them PostgreSQL guesses a subject pattern matches a few dozen interactions (its trigram index
 * keeps no statistics the planner reads), so a search for a common word read every match
 * through the trigram index and sorted them all (5,000 rows for "refund" over 100,000). With
 * them a common word walks the newest-first index until the page is full, and a rare one still
 * takes the trigram index. Filled by ANALYZE (autovacuum's included).
 */
export class SubjectStatistics1796436160004 implements MigrationInterface {
  name = 'SubjectStatistics1796436160004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE STATISTICS "st_conversation_subject_lower" ON (lower(subject)) FROM "conversation"`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP STATISTICS "public"."st_conversation_subject_lower"`);
  }
}
