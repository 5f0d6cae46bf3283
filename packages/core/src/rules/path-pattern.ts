/**
 * Compiles a rule path pattern: `*` matches within one segment, a `**` segment matches any number of
 * segments (including none: `/admin/**` matches `/admin` too).
 * @param pattern - starts with `/`
 * @param caseSensitive - as `routing.caseSensitive`
 */
export function compilePathPattern(pattern: string, caseSensitive: boolean): RegExp {
  // Paths are matched without a trailing slash; so are patterns.
  const trimmed = pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
  const segments = (trimmed === '' ? '/' : trimmed).split('/').slice(1);
  let source = '';
  for (const segment of segments) {
    if (segment === '**') source += '(?:/.*)?';
    else source += `/${segment.split('*').map(escapeRegExp).join('[^/]*')}`;
  }
  return new RegExp(`^${source === '' ? '/' : source}$`, caseSensitive ? 's' : 'is');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
