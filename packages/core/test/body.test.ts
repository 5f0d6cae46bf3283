import { describe, expect, it } from 'vitest';
import { createBodyReader } from '../src/http/body';
import { BodyReadError, BodyTooLargeError } from '../src/index';

function source(chunks: string[], failAfter?: number) {
  let calls = 0;
  let returned = false;
  const iterator = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      if (failAfter !== undefined && calls >= failAfter) throw new Error('socket hang up');
      const chunk = chunks[calls++];
      return chunk === undefined ? { done: true, value: undefined } : { done: false, value: Buffer.from(chunk) };
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      returned = true;
      return { done: true, value: undefined };
    },
  };
  return { start: () => iterator, stats: () => ({ calls, returned }) };
}

describe('body reader', () => {
  it('reads nothing until asked, then the whole body once', async () => {
    const s = source(['hello ', 'world']);
    const reader = createBodyReader(s.start, undefined, 100);
    expect(reader.started).toBe(false);
    expect(s.stats().calls).toBe(0);
    const first = await reader.read();
    expect(Buffer.from(first).toString()).toBe('hello world');
    expect(await reader.read()).toBe(first);
    expect(reader.started).toBe(true);
  });

  it('refuses a declared length over the limit without reading', async () => {
    const s = source(['x']);
    await expect(createBodyReader(s.start, 101, 100).read()).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(s.stats().calls).toBe(0);
  });

  it('stops reading as soon as an undeclared body crosses the limit', async () => {
    const s = source(['12345', '67890', 'abc', 'never read']);
    await expect(createBodyReader(s.start, undefined, 12).read()).rejects.toMatchObject({
      code: 'SIDEGUARD_BODY_TOO_LARGE',
      limit: 12,
    });
    expect(s.stats()).toEqual({ calls: 3, returned: true });
  });

  it('wraps stream failures and treats a missing source as empty', async () => {
    await expect(createBodyReader(source(['a'], 1).start, undefined, 10).read()).rejects.toBeInstanceOf(BodyReadError);
    expect((await createBodyReader(undefined, undefined, 10).read()).byteLength).toBe(0);
  });
});
