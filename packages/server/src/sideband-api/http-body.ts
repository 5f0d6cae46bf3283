import type { IncomingMessage } from 'node:http';

/**
 * Reads a call body up to a size limit.
 * @param req - the incoming call
 * @param maxBytes - the most bytes accepted
 * @returns the bytes, or `undefined` once the body exceeds the limit (a declared oversize body is refused
 *   before any of it is read; the rest is left unread and the connection closed after the answer)
 * @throws when the client goes away before the body ends
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | undefined, error?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error === undefined) resolve(result);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        finish(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, size));
    const onError = (error: Error) => finish(undefined, error);
    const onClose = () =>
      finish(undefined, new Error('The client closed the connection before sending the whole body'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
