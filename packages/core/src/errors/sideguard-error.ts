/** Brand that marks Sideguard errors across duplicate installs of the package (`Symbol.for` is global). */
const brand = Symbol.for('sideguard.error');

/** Stable machine-readable codes of every error Sideguard raises. */
export type SideguardErrorCode =
  | 'SIDEGUARD_CONFIG_INVALID'
  | 'SIDEGUARD_BODY_TOO_LARGE'
  | 'SIDEGUARD_BODY_READ_FAILED'
  | 'SIDEGUARD_INTERNAL';

/** Options accepted by {@link SideguardError}. */
export interface SideguardErrorOptions {
  /** The underlying failure, kept for diagnosis. */
  cause?: unknown;
}

/**
 * Base class of every error Sideguard raises. Carries a stable `code` and an optional `cause`.
 * Use {@link isSideguardError} rather than `instanceof` when two copies of the package may be loaded.
 */
export class SideguardError extends Error {
  /** Stable code to branch on; the message is for people and may change. */
  readonly code: SideguardErrorCode;

  constructor(code: SideguardErrorCode, message: string, options: SideguardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * Tells whether a value is a Sideguard error, even one created by another copy of the package.
 * @param value - anything caught
 */
export function isSideguardError(value: unknown): value is SideguardError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
