/**
 * A media range as configured: `type/subtype`, `type/*`, or `type/*+suffix` (e.g.
 * `application/*+json`), lower case, without parameters.
 */
export const mediaRangePattern =
  /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:\*|\*\+[a-z0-9!#$&^_.-]+|[a-z0-9][a-z0-9!#$&^_.+-]*)$/;

/** Media ranges compiled for matching a request's `Content-Type`. */
export interface MediaRanges {
  /**
   * Whether a `Content-Type` value falls in one of the ranges; parameters are ignored, case is not
   * significant. An absent or unreadable value matches nothing.
   * @param contentType - the header value
   */
  matches(contentType: string | undefined): boolean;
}

/**
 * Compiles media ranges checked against {@link mediaRangePattern}.
 * @param ranges - lower-case media ranges
 */
export function compileMediaRanges(ranges: readonly string[]): MediaRanges {
  const exact = new Set<string>();
  const types = new Set<string>();
  const suffixes: { type: string; suffix: string }[] = [];
  for (const range of ranges) {
    const [type = '', subtype = ''] = range.split('/');
    if (subtype === '*') types.add(type);
    else if (subtype.startsWith('*+')) suffixes.push({ type, suffix: subtype.slice(1) });
    else exact.add(range);
  }
  return {
    matches(contentType) {
      if (contentType === undefined) return false;
      const essence = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
      const slash = essence.indexOf('/');
      if (slash <= 0 || slash === essence.length - 1) return false;
      if (exact.has(essence)) return true;
      const type = essence.slice(0, slash);
      if (types.has(type)) return true;
      const subtype = essence.slice(slash + 1);
      return suffixes.some(
        (range) => range.type === type && subtype.length > range.suffix.length && subtype.endsWith(range.suffix),
      );
    },
  };
}
