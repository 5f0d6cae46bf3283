import { BodyReadError, BodyTooLargeError } from '../errors/body-errors';

/** Where a request body comes from: a function that starts reading it, called at most once. */
export type BodySource = () => AsyncIterator<Uint8Array>;

/**
 * A request body that is read only when someone asks, at most once, and never beyond a limit.
 * Later reads return the same bytes.
 */
export interface BodyReader {
  /** The length the client declared in `Content-Length`, when it did. */
  readonly declaredLength: number | undefined;
  /** Whether a read has started; after that the source stream belongs to this reader. */
  readonly started: boolean;
  /**
   * The whole body once a read has finished, else `undefined`. Adapters replay it to the app when the
   * core consumed the stream (`started`), since the framework can no longer read it from the socket.
   */
  readonly bytes: Uint8Array | undefined;
  /**
   * Reads the whole body.
   * @throws BodyTooLargeError when it is longer than the limit; BodyReadError when the stream fails
   */
  read(): Promise<Uint8Array>;
}

const empty = new Uint8Array(0);

/**
 * Creates a lazy, bounded body reader. A declared length over the limit fails before any byte is read;
 * an undeclared or lying one fails as soon as the limit is crossed, and reading stops there.
 * @param source - starts the body stream; `undefined` for a request without a body
 * @param declaredLength - `Content-Length`, if sent
 * @param maxBytes - the most bytes that will be buffered
 */
export function createBodyReader(
  source: BodySource | undefined,
  declaredLength: number | undefined,
  maxBytes: number,
): BodyReader {
  return new LazyBody(source, declaredLength, maxBytes);
}

/**
 * A body whose bytes are already known (a body a sideband engine rewrote, or one from a sideband
 * payload). It counts as read, so adapters replay it.
 * @param bytes - the whole body
 */
export function createBufferedBody(bytes: Uint8Array): BodyReader {
  return new BufferedBody(bytes);
}

class BufferedBody implements BodyReader {
  readonly declaredLength: number;
  readonly started = true;
  readonly bytes: Uint8Array;
  readonly #read: Promise<Uint8Array>;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.declaredLength = bytes.byteLength;
    this.#read = Promise.resolve(bytes);
  }

  read(): Promise<Uint8Array> {
    return this.#read;
  }
}

// A class rather than an object literal with a getter: one is made per request, and literal getters are slow.
class LazyBody implements BodyReader {
  readonly declaredLength: number | undefined;
  readonly #source: BodySource | undefined;
  readonly #maxBytes: number;
  #pending: Promise<Uint8Array> | undefined;
  bytes: Uint8Array | undefined;

  constructor(source: BodySource | undefined, declaredLength: number | undefined, maxBytes: number) {
    this.#source = source;
    this.declaredLength = declaredLength;
    this.#maxBytes = maxBytes;
  }

  get started(): boolean {
    return this.#pending !== undefined;
  }

  read(): Promise<Uint8Array> {
    this.#pending ??= (
      this.#source === undefined ? Promise.resolve(empty) : collect(this.#source, this.declaredLength, this.#maxBytes)
    ).then((bytes) => {
      this.bytes = bytes;
      return bytes;
    });
    return this.#pending;
  }
}

async function collect(source: BodySource, declaredLength: number | undefined, maxBytes: number): Promise<Uint8Array> {
  if (declaredLength !== undefined && declaredLength > maxBytes) throw new BodyTooLargeError(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = source();
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      total += step.value.byteLength;
      if (total > maxBytes) {
        await iterator.return?.();
        throw new BodyTooLargeError(maxBytes);
      }
      chunks.push(step.value);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    throw new BodyReadError(error);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
