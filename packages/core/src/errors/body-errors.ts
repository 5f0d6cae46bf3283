import { SideguardError } from './sideguard-error';

/** The request body is larger than the configured limit; the guard answers 413. */
export class BodyTooLargeError extends SideguardError {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super('SIDEGUARD_BODY_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

/** The request body could not be read (client aborted, socket error). */
export class BodyReadError extends SideguardError {
  constructor(cause: unknown) {
    super('SIDEGUARD_BODY_READ_FAILED', 'Request body could not be read', { cause });
  }
}
