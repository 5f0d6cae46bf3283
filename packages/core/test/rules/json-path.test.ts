import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonTooDeepError, maxJsonDepth, parseJsonPath, removeJsonPath } from '../../src/rules/json-path';

function remove(document: unknown, path: string): { document: unknown; removed: number } {
  const parsed = parseJsonPath(path);
  if (typeof parsed === 'string') throw new Error(parsed);
  const copy = structuredClone(document);
  return { document: copy, removed: removeJsonPath(copy, parsed) };
}

describe('parseJsonPath', () => {
  it('reads every supported form', () => {
    expect(parseJsonPath(`$.a['b c']["d"][2][*].*..e`)).toEqual([
      { type: 'key', key: 'a' },
      { type: 'key', key: 'b c' },
      { type: 'key', key: 'd' },
      { type: 'index', index: 2 },
      { type: 'any' },
      { type: 'any' },
      { type: 'deep', key: 'e' },
    ]);
  });

  it.each([
    ['a.b', 'must start with "$"'],
    ['$', 'must name something below "$"'],
    ['$.', 'expected a key after "." at "."'],
    ['$..', 'expected a key after ".." at ".."'],
    ['$[x]', `expected [*], [n] or ['key'] at "[x]"`],
    ['$.a b', 'unexpected " " at " b"'],
  ])('refuses %s', (text, message) => {
    expect(parseJsonPath(text)).toBe(message);
  });
});

describe('removeJsonPath', () => {
  const person = {
    id: 1,
    name: 'Bruce',
    ssn: '123',
    audit: { by: 'x', password: 'p' },
    items: [
      { sku: 'a', ssn: '1', password: 'q' },
      { sku: 'b', ssn: '2' },
    ],
  };

  it('removes a key', () => {
    expect(remove(person, '$.audit')).toEqual({
      document: { id: 1, name: 'Bruce', ssn: '123', items: person.items },
      removed: 1,
    });
  });

  it('removes a key from every element', () => {
    const { document, removed } = remove(person, '$.items[*].ssn');
    expect(removed).toBe(2);
    expect((document as typeof person).items).toEqual([{ sku: 'a', password: 'q' }, { sku: 'b' }]);
  });

  it('removes a key at any depth', () => {
    const { document, removed } = remove(person, '$..password');
    expect(removed).toBe(2);
    expect(JSON.stringify(document)).not.toContain('password');
  });

  it('removes an array element by index and every member with [*]', () => {
    expect(remove(person, '$.items[0]').document).toMatchObject({ items: [{ sku: 'b', ssn: '2' }] });
    expect(remove(person, '$.items[*]').document).toMatchObject({ items: [] });
    expect(remove(person, '$.audit.*').document).toMatchObject({ audit: {} });
  });

  it('leaves documents without the path alone', () => {
    expect(remove(person, '$.nothing.here')).toEqual({ document: person, removed: 0 });
    expect(remove(person, '$.items[7]')).toEqual({ document: person, removed: 0 });
    expect(remove('text', '$.a')).toEqual({ document: 'text', removed: 0 });
    // Inherited properties are not the document's.
    expect(remove({}, '$.constructor')).toEqual({ document: {}, removed: 0 });
  });

  it('refuses documents nested deeper than the limit instead of overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(maxJsonDepth + 5)}1${']'.repeat(maxJsonDepth + 5)}`);
    const path = parseJsonPath('$..x');
    if (typeof path === 'string') throw new Error(path);
    expect(() => removeJsonPath(deep, path)).toThrow(JsonTooDeepError);
  });

  it('never leaves the key behind with recursive descent (property)', () => {
    const path = parseJsonPath('$..secret');
    if (typeof path === 'string') throw new Error(path);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const document = JSON.parse(JSON.stringify({ wrap: value, secret: 1 }).replaceAll('"a"', '"secret"'));
        removeJsonPath(document, path);
        expect(JSON.stringify(document)).not.toContain('"secret":');
      }),
    );
  });
});
