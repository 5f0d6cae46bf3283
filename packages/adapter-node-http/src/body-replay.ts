import type { IncomingMessage } from 'node:http';
import { Readable, type ReadableOptions } from 'node:stream';

/** Node's flag for "nobody will read this message": its HTTP parser then drops the rest of the body. */
type DumpableRequest = IncomingMessage & { _dumped: boolean };

// Readable's constructor run on an existing object: the way Node's own subclasses, IncomingMessage
// included, initialise their stream state. Typed as a plain function since classes are not callable in TS.
const initReadable = Readable as unknown as (this: Readable, options: ReadableOptions) => void;

/**
 * Gives a request whose body the core consumed its body back, so any reader that comes later gets it:
 * `data`/`end` listeners (body-parser, raw-body, co-body, Fastify's parsers), `for await`, `pipe`, `read()`.
 * `undefined` (a read that failed under fail-open) replays as an empty body, so readers end instead of waiting.
 *
 * Frameworks read the very object they were handed (`req`, `ctx.req`, `request.raw`), so the bytes must
 * come back through it, and after the core's read its stream is over: `end` was emitted, `autoDestroy`
 * destroyed it, and `push`/`unshift` are refused from then on. Running Readable's constructor on it again
 * gives it a fresh, empty stream state while keeping its identity, headers and listeners; pushing the
 * bytes and the end of stream then looks to every reader like a body that has just arrived. The stream
 * is ended before anyone reads, so IncomingMessage's `_read` (which resumes the socket) is never called.
 *
 * If the original body is still arriving (the core replaced it without reading it, or a read stopped part
 * way), Node's `_dumped` flag makes the parser discard the rest, which therefore never reaches the replay,
 * and the socket is restarted in case the old stream had paused it. The replay then does not auto-destroy:
 * IncomingMessage takes the destruction of an incomplete message for a client abort and closes the socket.
 * @param req - the request the core read
 * @param bytes - the body to replay
 */
export function replayRequestBody(req: IncomingMessage, bytes: Uint8Array | undefined): void {
  const arriving = !req.complete && !req.destroyed;
  if (arriving) {
    (req as DumpableRequest)._dumped = true;
    // IncomingMessage's own "a reader wants data": resumes the socket unless the server paused it on purpose.
    req._read(req.readableHighWaterMark);
  }
  initReadable.call(req, { highWaterMark: req.readableHighWaterMark, autoDestroy: !arriving });
  if (bytes !== undefined && bytes.byteLength > 0)
    req.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  req.push(null);
}
