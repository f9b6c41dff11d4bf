import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Ids that scope log lines: a control-plane request, a sync run. */
export interface LogContext {
  readonly requestId?: string;
  readonly runId?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` with ids that every log line written during it carries, whichever logger writes
 * the line (a platform adapter's own logger included). Nested calls add to the outer ids.
 */
export function withLogContext<T>(ids: LogContext, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...ids }, work);
}

/** The ids of the current request or run, if any. */
export function currentLogContext(): LogContext {
  return logContext.getStore() ?? {};
}

/** Adds the context's ids a line's logger does not already carry (no key twice in one line). */
function contextMixin(_merge: object, _level: number, logger: Logger): object {
  const store = logContext.getStore();
  if (!store) return {};
  const bound = (logger as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym] ?? '';
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(store)) {
    if (typeof value === 'string' && !bound.includes(`"${key}":`)) out[key] = value;
  }
  return out;
}

const secretFields = [
  'password',
  'token',
  'clientSecret',
  'oauthClientSecret',
  'encryptionKey',
  'accessToken',
  'refreshToken',
  'authorization',
  'code',
];

/** Secret fields at any of the first three levels of a log object; pino redaction has no deep wildcard. */
export const redactPaths = secretFields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);

export interface LoggerOptions {
  readonly level?: string;
  /** Pretty, human-readable lines instead of JSON. */
  readonly pretty?: boolean;
  /** Where lines go (tests capture them); default stdout. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    base: { service: 'roster' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    mixin: contextMixin,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(base);
}

/** Replaces every secret-named key in a plain object tree, for showing config to people. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = secretFields.includes(key) && v !== '' ? '[redacted]' : redactSecrets(v);
  }
  return out as T;
}
