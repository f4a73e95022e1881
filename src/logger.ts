import type { Config } from './config';

export interface Logger {
  info(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
}

const RANK = { silent: 0, error: 1, info: 2, debug: 3 } as const;

export function createLogger(level: Config['logLevel']): Logger {
  const rank = RANK[level];
  return {
    error: (message, ...details) => rank >= 1 && console.error(`[tandem] ${message}`, ...details),
    info: (message, ...details) => rank >= 2 && console.log(`[tandem] ${message}`, ...details),
    debug: (message, ...details) => rank >= 3 && console.log(`[tandem] ${message}`, ...details),
  };
}
