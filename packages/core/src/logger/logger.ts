/** A logger: `console`, pino and most others fit. */
export interface Logger {
  /** Debug-level message. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Info-level message. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Warning. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Error. */
  error(message: string, fields?: Record<string, unknown>): void;
}
