import pino, { type Logger } from 'pino';

/**
 * Field names whose values are replaced with `[redacted]` wherever they appear in a log object, up
 * to two levels deep. Defence in depth: code never logs credentials on purpose, but a provider
 * response or a Secret logged by mistake must not leak.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'auth',
  'authorization',
  'apiKey',
  'headers.authorization',
  'data',
  'stringData',
  '*.password',
  '*.token',
  '*.secret',
  '*.auth',
  '*.authorization',
  '*.apiKey',
  '*.data',
  '*.stringData',
  '*.headers.authorization',
  '*.*.password',
  '*.*.token',
  '*.*.secret',
  '*.*.authorization',
];

/** Creates the operator's root logger: JSON lines on stdout, redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'berth' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
