import type { IncomingMessage } from 'node:http';
import type { BodySource } from '@sideguard/core';

/**
 * A body source over an `IncomingMessage`. Stopping early (the core's size limit) detaches and pauses
 * instead of destroying the stream, so the socket stays up for the 413 answer.
 * @param req - the request; `undefined` is returned when it cannot carry a body (RFC 9112 §6.3)
 */
export function bodySourceOf(req: IncomingMessage): BodySource | undefined {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  return () => new RequestBodyIterator(req);
}

class RequestBodyIterator implements AsyncIterator<Uint8Array> {
  readonly #req: IncomingMessage;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(req: IncomingMessage) {
    this.#req = req;
    // Gone before the core asked (middleware that read it first, a client that left): the events
    // this reader waits for have already fired, so fail now rather than wait for ever.
    if (req.readableEnded) this.#error = new Error('the request body was read before Sideguard could read it');
    else if (req.destroyed) this.#error = new Error('request aborted by the client');
    if (this.#error !== undefined) return;
    req.on('data', this.#onData);
    req.once('end', this.#onEnd);
    req.once('error', this.#onError);
    req.once('aborted', this.#onAborted);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#chunks.push(chunk);
    // Backpressure: hold the socket until the core has taken what is buffered.
    this.#req.pause();
    this.#notify();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#notify();
  };

  readonly #onError = (error: Error): void => {
    this.#error = error;
    this.#notify();
  };

  readonly #onAborted = (): void => {
    this.#error ??= new Error('request aborted by the client');
    this.#notify();
  };

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) return { done: false, value: chunk };
      if (this.#error !== undefined) {
        this.#detach();
        throw this.#error;
      }
      if (this.#ended) {
        this.#detach();
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#req.resume();
      });
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.#detach();
    this.#req.pause();
    return { done: true, value: undefined };
  }

  #detach(): void {
    this.#req.off('data', this.#onData);
    this.#req.off('end', this.#onEnd);
    this.#req.off('error', this.#onError);
    this.#req.off('aborted', this.#onAborted);
  }
}
