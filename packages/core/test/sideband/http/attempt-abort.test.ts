import { describe, expect, it, vi } from 'vitest';
import { AttemptAbort } from '../../../src/sideband/http/attempt-abort';

describe('AttemptAbort', () => {
  it('runs each abort listener once and refuses listeners after the abort', () => {
    const signal = new AttemptAbort();
    const first = vi.fn();
    const removed = vi.fn();
    signal.once('abort', first);
    signal.on('abort', removed);
    signal.on('other', removed);
    signal.removeListener('abort', removed);
    expect(signal.aborted).toBe(false);
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(first).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
    const late = vi.fn();
    signal.on('abort', late);
    signal.abort();
    expect(late).not.toHaveBeenCalled();
  });
});
