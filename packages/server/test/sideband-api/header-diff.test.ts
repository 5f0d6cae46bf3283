import type { HeaderEntry } from '@sideguard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyHeaderChanges } from '../../src/sideband-api/header-diff';

describe('applyHeaderChanges', () => {
  const sent: HeaderEntry[] = [
    ['X-App-Id', 'PNG'],
    ['Accept', 'application/json'],
    ['Host', 'localhost:8080'],
    ['X-Multi', '1'],
    ['x-multi', '2'],
    ['Accept-Encoding', 'gzip'],
  ];
  const guardSaw: HeaderEntry[] = [['Host', 'localhost:6443'], ...sent.filter(([name]) => name !== 'Host')];

  it('returns the headers as sent when the guard changed nothing, even name case', () => {
    const recased = guardSaw.map(([name, value]): HeaderEntry => [name.toLowerCase(), value]);
    expect(applyHeaderChanges(sent, guardSaw, recased)).toBe(sent);
  });

  it('removes, replaces in place, and appends, leaving Host as the gateway sent it', () => {
    const after: HeaderEntry[] = [
      ['host', 'elsewhere'],
      ['accept', 'application/json'],
      ['x-multi', '1'],
      ['accept-encoding', 'identity'],
      ['sh-user', 'ann'],
      ['SH-Extra', 'a'],
      ['sh-extra', 'b'],
    ];
    expect(applyHeaderChanges(sent, guardSaw, after)).toEqual([
      ['Accept', 'application/json'],
      ['Host', 'localhost:8080'],
      ['x-multi', '1'],
      ['accept-encoding', 'identity'],
      ['sh-user', 'ann'],
      ['SH-Extra', 'a'],
      ['sh-extra', 'b'],
    ]);
  });

  it('treats a reordered list of values as a change', () => {
    const after: HeaderEntry[] = guardSaw.map(
      ([name, value]): HeaderEntry => [name, name.toLowerCase() === 'x-multi' ? (value === '1' ? '2' : '1') : value],
    );
    expect(applyHeaderChanges(sent, guardSaw, after).filter(([name]) => name.toLowerCase() === 'x-multi')).toEqual([
      ['X-Multi', '2'],
      ['x-multi', '1'],
    ]);
  });

  it("always yields the guard's headers (apart from Host) as a multiset per name", () => {
    const name = fc.constantFrom('A', 'a', 'B', 'c', 'Host', 'D-e');
    const list = fc.array(fc.tuple(name, fc.constantFrom('1', '2', '3')), { maxLength: 8 });
    fc.assert(
      fc.property(list, list, (before, after) => {
        const result = applyHeaderChanges(before, before, after);
        const group = (headers: readonly HeaderEntry[]) => {
          const out: Record<string, string[]> = {};
          for (const [key, value] of headers) {
            const lower = key.toLowerCase();
            if (lower !== 'host') out[lower] = [...(out[lower] ?? []), value];
          }
          return out;
        };
        expect(group(result)).toEqual(group(after));
        // Host entries are exactly the ones sent.
        expect(result.filter(([key]) => key.toLowerCase() === 'host')).toEqual(
          before.filter(([key]) => key.toLowerCase() === 'host'),
        );
      }),
    );
  });
});
