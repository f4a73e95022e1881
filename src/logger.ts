import pino, { type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type LogLevel = 'silent' | 'error' | 'info' | 'debug';
export type LogFields = Record<string, unknown>;

/**
 * Where Tandem writes what it does: pino, one JSON object a line on stdout (human-readable when
 * stdout is a terminal). Messages with details (`logger.error('x failed', error)`) put the error
 * under `err`; `record` writes one structured line (a request, a socket's lifecycle).
 */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  /** One line with these fields beside the message (fields are chosen, never a request's body). */
  record(level: Exclude<LogLevel, 'silent'>, fields: LogFields, message: string): void;
  /** Whether lines of this level are written: a caller skips building one nobody reads. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

export interface LoggerOptions {
  /** Where the lines go (tests keep them); default stdout, pretty-printed when it is a terminal. */
  destination?: DestinationStream;
  /** Append to this file instead (the tests' log of a whole run). */
  file?: string;
  /** Write to stderr (the CLI, whose stdout is its answer) instead of stdout. */
  stderr?: boolean;
}

/**
 * Whatever a field's name says it holds is never written (defence in depth: request lines carry
 * chosen fields only, and errors go through `serializeError`, whose fields are fixed). Top-level
 * fields only: pino's wildcard paths (`*.password`) cost ten times a whole line (measured: 4 µs a
 * line without, 20 µs with one level of wildcards), and nothing nested is written but `err`.
 */
const REDACTED_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'authorization',
  'cookie',
  'secret',
  'apiKey',
  'variables',
  'body',
  'parameters',
];

/**
 * An error as a log line may show it: its kind, message, code and stack, never its other
 * properties (a TypeORM QueryFailedError carries the statement's parameters: password hashes,
 * message bodies; a pg error's `detail` quotes the values of a violated key). Never throws,
 * whatever it is given.
 */
export function serializeError(error: unknown, depth = 0): LogFields {
  try {
    if (error === null || typeof error !== 'object') return { message: String(error) };
    const err = error as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
    const fields: LogFields = {
      type: typeof err.name === 'string' ? err.name : (error.constructor?.name ?? 'Object'),
    };
    if (typeof err.message === 'string') fields.message = err.message;
    if (typeof err.code === 'string' || typeof err.code === 'number') fields.code = err.code;
    if (typeof err.stack === 'string') fields.stack = err.stack;
    const cause = (error as { cause?: unknown; originalError?: unknown }).cause;
    if (cause !== undefined && depth < 3) fields.cause = serializeError(cause, depth + 1);
    return fields;
  } catch {
    return { type: 'unreadable' };
  }
}

const PINO_LEVEL = { silent: 'silent', error: 'error', info: 'info', debug: 'debug' } as const;

/** The details a message was logged with, as fields: the first is the error (every call site). */
function detailFields(details: unknown[]): LogFields | undefined {
  if (details.length === 0) return undefined;
  const [first, ...rest] = details;
  return rest.length
    ? { err: serializeError(first), details: rest.map((detail) => serializeError(detail)) }
    : { err: serializeError(first) };
}

/** One open file per path, whatever the number of loggers writing to it. */
const files = new Map<string, DestinationStream>();
function fileDestination(file: string): DestinationStream {
  let destination = files.get(file);
  if (!destination) {
    destination = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
    files.set(file, destination);
  }
  return destination;
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const output = options.stderr ? process.stderr : process.stdout;
  const fd = options.stderr ? 2 : 1;
  const destination =
    options.destination ??
    (level === 'silent'
      ? { write: () => undefined }
      : options.file
        ? fileDestination(options.file)
        : output.isTTY
          ? // A terminal is a person reading: pino-pretty's one line per entry, fields after it.
            pretty({
              destination: fd,
              colorize: true,
              sync: true,
              singleLine: true,
              translateTime: 'SYS:HH:MM:ss.l',
              ignore: 'pid,hostname,service',
            })
          : pino.destination({ dest: fd, sync: true }));
  const base = pino(
    {
      level: PINO_LEVEL[level],
      base: { service: 'tandem' },
      redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
      // Errors are serialized by serializeError before they get here; pino's own serializer would
      // copy every property again.
      serializers: { err: (error: unknown) => error },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const at =
    (name: 'error' | 'info' | 'debug') =>
    (message: string, ...details: unknown[]) => {
      if (!base.isLevelEnabled(name)) return;
      const fields = detailFields(details);
      if (fields) base[name](fields, message);
      else base[name](message);
    };
  return {
    error: at('error'),
    info: at('info'),
    debug: at('debug'),
    record: (name, fields, message) => {
      if (base.isLevelEnabled(name)) base[name](fields, message);
    },
    enabled: (name) => base.isLevelEnabled(name),
  };
}
