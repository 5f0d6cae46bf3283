import type { HeaderList } from '../../http/headers';

/** Values by lower-case name, in order; pseudo-headers left out. */
function grouped(headers: HeaderList): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [name, value] of headers) {
    if (name.startsWith(':')) continue;
    const key = name.toLowerCase();
    const values = groups.get(key);
    if (values === undefined) groups.set(key, [value]);
    else values.push(value);
  }
  return groups;
}

/**
 * Whether two header lists say the same: every name has the same values in the same order; the case
 * of names, the order across names and pseudo-headers do not count.
 * @param a - one list
 * @param b - the other
 */
export function sameHeaders(a: HeaderList, b: HeaderList): boolean {
  const left = grouped(a);
  const right = grouped(b);
  if (left.size !== right.size) return false;
  for (const [name, values] of left) {
    const other = right.get(name);
    if (other === undefined || other.length !== values.length || other.some((value, i) => value !== values[i])) {
      return false;
    }
  }
  return true;
}
