import type { ServerResponse } from 'node:http';
import type { Exchange, GatewayResponse, Guard, HeaderList, ResponseCapture } from '@sideguard/core';
import { type End, headerListOf, recordWriteHead, sendReplacement, type WriteHead } from './response-head';

/** Most response bytes held back while a response phase is awaited; a larger response goes out unheld. */
const maxHeldBytes = 1024 * 1024;

/**
 * Like `trackResponse`, but holds the response back until the guard has finished the exchange (a response
 * phase the client must wait for). Nothing reaches the socket before then: status and headers, including
 * those passed to `writeHead`, stay uncommitted and writes are held (a held write's callback runs once
 * its chunk is buffered, so an app that waits for it can go on to `end`). A response larger than 1 MiB
 * is released at once and reported afterwards, so holding never costs unbounded memory.
 * @param res - the response
 * @param guard - the guard that made the decision
 * @param exchange - the exchange of the `continue` decision
 */
export function holdResponse(res: ServerResponse, guard: Guard, exchange: Exchange): void {
  new HeldResponse(res, guard, exchange, maxHeldBytes, undefined, []);
}

/**
 * Holds the response like {@link holdResponse}, and captures its body for the guard's response steps
 * (`decision.captureResponse`): the guard gets status, headers and the whole body, and its answer is
 * sent — the response as the app wrote it when the guard hands back the same object, otherwise the
 * replacement it returned (the app's headers removed, the replacement's status, headers, body and
 * `Content-Length` sent). A body longer than `capture.maxBytes` is not captured: `capture.onOverflow` is
 * sent at once and the app's further output discarded, or, without one, the response goes out unchanged;
 * either way the guard hears of it with `bodyOverflow: true` once the app ends or the response closes.
 * @param res - the response
 * @param guard - the guard that made the decision
 * @param exchange - the exchange of the `continue` decision
 * @param capture - the decision's `captureResponse`
 * @param ownHeaders - the decision's `responseHeaders`, kept on a replacement
 */
export function captureResponse(
  res: ServerResponse,
  guard: Guard,
  exchange: Exchange,
  capture: ResponseCapture,
  ownHeaders: HeaderList,
): void {
  new HeldResponse(res, guard, exchange, capture.maxBytes, capture, ownHeaders);
}

type Callback = (error?: Error | null) => void;
type Write = (this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

/**
 * Where a held response is: `holding` (nothing goes out, writes are kept), `deciding` (the app ended;
 * the guard is finishing the exchange), `passing` (released: the app's output goes straight to Node) or
 * `discarding` (the overflow answer was sent; the app's further output goes nowhere).
 */
type Mode = 'holding' | 'deciding' | 'passing' | 'discarding';

const empty = Buffer.alloc(0);

/** The wrappers and state of one held response. */
class HeldResponse {
  readonly #res: ServerResponse;
  readonly #guard: Guard;
  readonly #exchange: Exchange;
  readonly #maxBytes: number;
  readonly #capture: ResponseCapture | undefined;
  readonly #ownHeaders: HeaderList;
  readonly #write: Write;
  readonly #end: End;
  readonly #writeHead: WriteHead;
  #mode: Mode = 'holding';
  #held: Buffer[] = [];
  #heldBytes = 0;
  #bodyBytes = 0;
  #reported = false;
  /** Status and headers as the app left them when the body overflowed; the overflow answer replaces them. */
  #overflowHead: { readonly status: number; readonly headers: HeaderList } | undefined;

  constructor(
    res: ServerResponse,
    guard: Guard,
    exchange: Exchange,
    maxBytes: number,
    capture: ResponseCapture | undefined,
    ownHeaders: HeaderList,
  ) {
    this.#res = res;
    this.#guard = guard;
    this.#exchange = exchange;
    this.#maxBytes = maxBytes;
    this.#capture = capture;
    this.#ownHeaders = ownHeaders;
    this.#write = res.write as unknown as Write;
    this.#end = res.end as unknown as End;
    this.#writeHead = res.writeHead as unknown as WriteHead;
    // The wrappers stay installed for the life of the response (their mode decides what they do):
    // middleware installed later may have wrapped them in turn, and putting Node's back would cut it out.
    res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) =>
      this.#onWrite(chunk, encoding, callback)) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) =>
      this.#onEnd(chunk, encoding, callback)) as typeof res.end;
    // Node commits the head only through `writeHead` (`flushHeaders` and the first write call it too).
    res.writeHead = ((...args: unknown[]) => this.#onWriteHead(args)) as typeof res.writeHead;
    res.once('close', () => this.#onClose());
  }

  #onWrite(chunk: unknown, encoding: unknown, callback: unknown): boolean {
    const res = this.#res;
    const cb = (typeof encoding === 'function' ? encoding : callback) as Callback | undefined;
    // Chunks Node refuses go to Node, so the app gets Node's own error.
    if (!isChunk(chunk)) return this.#write.call(res, chunk, encoding, callback);
    switch (this.#mode) {
      case 'passing':
        this.#bodyBytes += byteLengthOf(chunk, encoding);
        return this.#write.call(res, chunk, encoding, callback);
      case 'discarding':
        this.#bodyBytes += byteLengthOf(chunk, encoding);
        if (typeof cb === 'function') process.nextTick(cb);
        return true;
      case 'deciding':
        if (typeof cb === 'function') process.nextTick(cb, writeAfterEnd());
        return false;
      case 'holding': {
        // Measured before copying: a chunk past the bound is never held, so one huge write is never doubled.
        const size = byteLengthOf(chunk, encoding);
        if (this.#heldBytes + size > this.#maxBytes) {
          this.#overflow();
          return this.#onWrite(chunk, encoding, callback);
        }
        // A copy: once called back, the app may reuse its buffer. `true` never asks it to wait for
        // 'drain' (none comes while holding); the bound on held bytes stands in for backpressure.
        this.#held.push(copyToBuffer(chunk, encoding));
        this.#heldBytes += size;
        this.#bodyBytes += size;
        // Buffered is done for the app: calling back only at `end` would hang an app that awaits each write.
        if (typeof cb === 'function') process.nextTick(cb);
        return true;
      }
    }
  }

  #onEnd(chunk: unknown, encoding: unknown, callback: unknown): ServerResponse {
    const res = this.#res;
    let cb = callback;
    if (typeof chunk === 'function') {
      cb = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') cb = encoding;
    if (chunk && !isChunk(chunk)) return this.#end.call(res, chunk, encoding, callback);
    // Like Node, an empty string is no chunk at all.
    const data = chunk ? (chunk as string | Uint8Array) : undefined;
    switch (this.#mode) {
      case 'passing':
        if (data !== undefined) this.#bodyBytes += byteLengthOf(data, encoding);
        this.#reportOnce();
        return this.#end.call(res, chunk, encoding, callback);
      case 'discarding':
        if (data !== undefined) this.#bodyBytes += byteLengthOf(data, encoding);
        if (typeof cb === 'function') process.nextTick(cb);
        this.#reportOnce();
        return res;
      case 'deciding':
        // A second end: like Node, call back once the response has finished.
        if (typeof cb === 'function') res.once('finish', () => (cb as Callback)());
        return res;
      case 'holding': {
        // Measured before encoding, for the same reason as in a write.
        const size = data === undefined ? 0 : byteLengthOf(data, encoding);
        if (this.#heldBytes + size > this.#maxBytes) {
          this.#overflow();
          return this.#onEnd(chunk, encoding, callback);
        }
        this.#bodyBytes += size;
        this.#decide(data === undefined ? empty : toBuffer(data, encoding), cb);
        return res;
      }
    }
  }

  #onWriteHead(args: unknown[]): ServerResponse {
    switch (this.#mode) {
      case 'passing':
        return this.#writeHead.apply(this.#res, args);
      case 'discarding':
        return this.#res;
      default:
        return recordWriteHead(this.#res, this.#writeHead, args);
    }
  }

  /** The app finished a response within the limit: let the guard see it, then send what it answers. */
  #decide(last: Buffer, callback: unknown): void {
    this.#mode = 'deciding';
    const capturing = this.#capture !== undefined;
    const response = this.#snapshot(capturing ? joinChunks(this.#held, last) : undefined, undefined);
    const send = (answer: GatewayResponse): void => {
      try {
        if (capturing && answer !== response) this.#replace(answer, callback);
        else {
          this.#release();
          this.#end.call(this.#res, last.byteLength > 0 ? last : undefined, undefined, callback);
        }
      } catch {
        // Only an unsendable answer (say a header Node refuses) gets here; never throw into the host app.
        this.#res.destroy();
      }
    };
    this.#reported = true;
    // `handleResponse` never rejects by contract. If a guard breaks it anyway, a capturing decision
    // fails closed with its own overflow answer, when it has one, rather than sending an unjudged body.
    const fallback = this.#capture?.onOverflow ?? response;
    this.#guard.handleResponse(this.#exchange, response).then(send, () => send(fallback));
  }

  /** The body passed the limit: send the overflow answer and discard the rest, or let it all through. */
  #overflow(): void {
    const onOverflow = this.#capture?.onOverflow;
    this.#overflowHead = { status: this.#res.statusCode, headers: headerListOf(this.#res) };
    if (onOverflow === undefined) {
      this.#release();
      return;
    }
    try {
      this.#replace(onOverflow, undefined);
    } catch {
      this.#res.destroy();
    }
    this.#mode = 'discarding';
  }

  /** Sends a replacement instead of the held chunks, which are dropped. */
  #replace(replacement: GatewayResponse, callback: unknown): void {
    this.#takeHeld();
    // Node commits the head through `res.writeHead`, which must reach Node from now on.
    this.#mode = 'passing';
    sendReplacement(
      this.#res,
      this.#end,
      { status: replacement.status, headers: replacement.headers, body: replacement.body ?? empty },
      this.#ownHeaders,
      callback,
      this.#exchange.original.method === 'HEAD',
    );
  }

  /** Stops holding: what is held goes to Node in order, and so does everything after it. */
  #release(): void {
    this.#mode = 'passing';
    // Without callbacks: the app's ran when the chunks were held.
    for (const bytes of this.#takeHeld()) this.#write.call(this.#res, bytes);
  }

  #takeHeld(): Buffer[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return held;
  }

  #onClose(): void {
    switch (this.#mode) {
      case 'holding':
        // The client left before the app finished: report what there is; held writes go to Node, which
        // drops them the way it does any write to a closed response.
        this.#reportOnce();
        this.#release();
        return;
      case 'deciding':
        return;
      default:
        this.#reportOnce();
    }
  }

  #reportOnce(): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#guard
      .handleResponse(this.#exchange, this.#snapshot(undefined, this.#overflowHead !== undefined || undefined))
      // It never rejects by contract; nobody waits on this one, so make sure no rejection goes unhandled.
      .catch(() => {});
  }

  #snapshot(body: Uint8Array | undefined, overflow: true | undefined): GatewayResponse {
    const head = this.#overflowHead;
    return {
      status: head?.status ?? this.#res.statusCode,
      headers: head?.headers ?? headerListOf(this.#res),
      bodyBytes: this.#bodyBytes,
      body,
      // Only a captured body can overflow; a response merely held past its bound is reported as it went.
      bodyOverflow: this.#capture !== undefined ? overflow : undefined,
    };
  }
}

function isChunk(chunk: unknown): chunk is string | Uint8Array {
  return typeof chunk === 'string' || chunk instanceof Uint8Array;
}

function encodingOf(encoding: unknown): BufferEncoding {
  return typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
}

function toBuffer(chunk: string | Uint8Array, encoding: unknown): Buffer {
  return typeof chunk === 'string'
    ? Buffer.from(chunk, encodingOf(encoding))
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function copyToBuffer(chunk: string | Uint8Array, encoding: unknown): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, encodingOf(encoding)) : Buffer.copyBytesFrom(chunk);
}

function byteLengthOf(chunk: string | Uint8Array, encoding: unknown): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, encodingOf(encoding)) : chunk.byteLength;
}

function joinChunks(held: readonly Buffer[], last: Buffer): Buffer {
  if (held.length === 0) return last;
  if (held.length === 1 && last.byteLength === 0) return held[0] as Buffer;
  return Buffer.concat([...held, last]);
}

function writeAfterEnd(): Error {
  return Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
}
