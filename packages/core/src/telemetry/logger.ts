/** A log method in pino's shape: a context object, then a message. */
export type LogMethod = (context: Record<string, unknown>, message: string) => void;

/** Any pino-compatible logger. Sideguard never passes secrets to it. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const ignore: LogMethod = () => {};

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

function toStderr(level: string): LogMethod {
  return (context, message) => {
    process.stderr.write(
      `${JSON.stringify({ level, time: Date.now(), name: 'sideguard', ...context, msg: message })}\n`,
    );
  };
}

/** The logger used when none is given: warnings and errors as JSON lines on stderr, nothing else. */
export const stderrLogger: Logger = { debug: ignore, info: ignore, warn: toStderr('warn'), error: toStderr('error') };

/**
 * A logger that never throws: the request path logs through it, and a host logger that throws (a
 * full disk, a broken transport) must not turn into a rejected decision or an unhandled rejection.
 * Calls keep the logger as `this`, as pino's methods need.
 * @param logger - the host's logger
 */
export function safeLogger(logger: Logger): Logger {
  const guarded =
    (level: keyof Logger): LogMethod =>
    (context, message) => {
      try {
        logger[level](context, message);
      } catch {
        // Nothing sensible is left to report it to.
      }
    };
  return { debug: guarded('debug'), info: guarded('info'), warn: guarded('warn'), error: guarded('error') };
}

/**
 * Logs a recurring failure once per cause per interval instead of once per request, counting what it
 * held back. Bounded: past `maxCauses` distinct causes, the oldest is forgotten.
 */
export class CauseLogger {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #maxCauses: number;
  readonly #seen = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param logger - where entries go
   * @param intervalMs - how long one cause stays quiet after it was logged
   * @param maxCauses - how many causes are remembered
   */
  constructor(logger: Logger, intervalMs = 60_000, maxCauses = 256) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#maxCauses = maxCauses;
  }

  /**
   * Logs an error for `cause` unless the same cause was logged within the interval.
   * @param cause - a stable key such as `stage:code`
   * @param context - fields for the entry; no secrets
   * @param message - the message
   * @param now - the current time in milliseconds
   */
  error(cause: string, context: Record<string, unknown>, message: string, now = Date.now()): void {
    const entry = this.#seen.get(cause);
    if (entry !== undefined && now - entry.at < this.#intervalMs) {
      entry.suppressed++;
      return;
    }
    this.#seen.delete(cause);
    if (this.#seen.size >= this.#maxCauses) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(cause, { at: now, suppressed: 0 });
    const suppressed = entry?.suppressed ?? 0;
    this.#logger.error(suppressed > 0 ? { ...context, cause, suppressed } : { ...context, cause }, message);
  }
}
