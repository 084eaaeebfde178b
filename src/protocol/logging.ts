/**
 * MCP logging (specification, "Logging"): levels in RFC 5424 order and the filter a session applies
 * after `logging/setLevel`.
 */

/** Syslog severities, least severe first. */
export const LOGGING_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
] as const;

export type LoggingLevel = (typeof LOGGING_LEVELS)[number];

const rank = new Map<string, number>(LOGGING_LEVELS.map((level, index) => [level, index]));

/** True when `value` names a level. */
export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return typeof value === 'string' && rank.has(value);
}

/**
 * Whether a message at `level` passes a session's minimum. With no `logging/setLevel` yet, every
 * message passes (the specification leaves the default to the server).
 */
export function passesLevel(level: LoggingLevel, minimum: LoggingLevel | undefined): boolean {
  return minimum === undefined || (rank.get(level) ?? 0) >= (rank.get(minimum) ?? 0);
}
