import { createLogger, type Logger, type LogLevel } from '../../src/logger';

/** A line as pino wrote it: its level, message and fields. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A real logger (pino, as the server's) whose lines are kept, parsed, to check what an operator would read. */
export interface CapturedLogger extends Logger {
  lines: LogLine[];
  /** Every line as written, unparsed: what a grep of the log would see. */
  text(): string;
}

export function capturingLogger(level: LogLevel = 'debug'): CapturedLogger {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = createLogger(level, {
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  });
  return Object.assign(logger, { lines, text: () => raw.join('') });
}
