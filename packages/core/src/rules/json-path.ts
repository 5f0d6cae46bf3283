/** One step of a JSON path. */
export type JsonPathSegment =
  | { readonly type: 'key'; readonly key: string }
  | { readonly type: 'index'; readonly index: number }
  /** `[*]` or `.*`: every member or element. */
  | { readonly type: 'any' }
  /** `..key`: that key at any depth below. */
  | { readonly type: 'deep'; readonly key: string };

/** A parsed JSON path: the segments after `$`. */
export type JsonPath = readonly JsonPathSegment[];

/** Deeper documents are refused rather than walked: recursion must stay well inside the stack. */
export const maxJsonDepth = 256;

/** Thrown when a document nests deeper than {@link maxJsonDepth}. */
export class JsonTooDeepError extends RangeError {
  constructor() {
    super(`JSON nested deeper than ${maxJsonDepth} levels`);
    this.name = 'JsonTooDeepError';
  }
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/**
 * Parses the JSON-path subset rules use: `$`, `.key`, `['key']`, `["key"]`, `[0]`, `[*]`, `.*` and
 * `..key`. At least one segment: removing `$` itself makes no sense.
 * @param text - e.g. `$.items[*].ssn`
 * @returns the segments, or a message saying what is wrong
 */
export function parseJsonPath(text: string): JsonPath | string {
  if (!text.startsWith('$')) return 'must start with "$"';
  const segments: JsonPathSegment[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('..')) {
      const key = identifier.exec(rest.slice(2))?.[0];
      if (key === undefined) return `expected a key after ".." at "${rest}"`;
      segments.push({ type: 'deep', key });
      rest = rest.slice(2 + key.length);
    } else if (rest.startsWith('.*')) {
      segments.push({ type: 'any' });
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const key = identifier.exec(rest.slice(1))?.[0];
      if (key === undefined) return `expected a key after "." at "${rest}"`;
      segments.push({ type: 'key', key });
      rest = rest.slice(1 + key.length);
    } else if (rest.startsWith('[')) {
      const bracket = /^\[(?:(\*)|(\d{1,9})|'([^']*)'|"([^"]*)")\]/.exec(rest);
      if (bracket === null) return `expected [*], [n] or ['key'] at "${rest}"`;
      if (bracket[1] !== undefined) segments.push({ type: 'any' });
      else if (bracket[2] !== undefined) segments.push({ type: 'index', index: Number(bracket[2]) });
      else segments.push({ type: 'key', key: bracket[3] ?? bracket[4] ?? '' });
      rest = rest.slice(bracket[0].length);
    } else return `unexpected "${rest[0]}" at "${rest}"`;
  }
  if (segments.length === 0) return 'must name something below "$"';
  return segments;
}

/**
 * Removes what a path selects from a parsed JSON document, in place.
 * @param root - the document (objects and arrays from `JSON.parse`)
 * @param path - from {@link parseJsonPath}
 * @returns how many values were removed
 * @throws JsonTooDeepError for documents nested deeper than {@link maxJsonDepth}
 */
export function removeJsonPath(root: unknown, path: JsonPath): number {
  return removeFrom(root, path, 0, 0);
}

function removeFrom(node: unknown, path: JsonPath, at: number, depth: number): number {
  if (depth > maxJsonDepth) throw new JsonTooDeepError();
  if (node === null || typeof node !== 'object') return 0;
  const segment = path[at] as JsonPathSegment;
  const last = at === path.length - 1;
  if (segment.type === 'deep') {
    // `..key` is `key` here, plus `..key` again inside every child.
    let removed = last
      ? removeChild(node, segment.key)
      : removeFrom(childOf(node, segment.key), path, at + 1, depth + 1);
    for (const child of childrenOf(node)) removed += removeFrom(child, path, at, depth + 1);
    return removed;
  }
  if (last) {
    if (segment.type === 'any') {
      const count = Array.isArray(node) ? node.length : Object.keys(node).length;
      if (Array.isArray(node)) node.length = 0;
      else for (const key of Object.keys(node)) delete (node as Record<string, unknown>)[key];
      return count;
    }
    return removeChild(node, segment.type === 'key' ? segment.key : segment.index);
  }
  if (segment.type === 'any') {
    let removed = 0;
    for (const child of childrenOf(node)) removed += removeFrom(child, path, at + 1, depth + 1);
    return removed;
  }
  return removeFrom(childOf(node, segment.type === 'key' ? segment.key : segment.index), path, at + 1, depth + 1);
}

function childrenOf(node: object): unknown[] {
  return Array.isArray(node) ? node : Object.values(node);
}

function childOf(node: object, key: string | number): unknown {
  if (Array.isArray(node)) return typeof key === 'number' ? node[key] : undefined;
  if (typeof key !== 'string' || !Object.hasOwn(node, key)) return undefined;
  return (node as Record<string, unknown>)[key];
}

function removeChild(node: object, key: string | number): number {
  if (Array.isArray(node)) {
    if (typeof key !== 'number' || key >= node.length) return 0;
    node.splice(key, 1);
    return 1;
  }
  if (typeof key !== 'string' || !Object.hasOwn(node, key)) return 0;
  delete (node as Record<string, unknown>)[key];
  return 1;
}
