import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

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
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
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
