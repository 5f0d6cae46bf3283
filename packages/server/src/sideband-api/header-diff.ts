import type { HeaderEntry, HeaderList } from '@sideguard/core';

/**
 * Applies the guard's header changes to the headers a gateway sent, keeping everything the guard did not
 * touch exactly as sent (case, order, duplicates). A name counts as changed when its values differ, in
 * count, value or order, between `before` and `after`, compared case-insensitively by name; a changed
 * name takes the guard's entries at the place of its first entry, a removed one disappears, and new
 * names follow at the end. `Host` is left alone: the guard saw the URL's authority there, not the
 * gateway's `Host`.
 * @param sent - the payload's headers
 * @param before - the headers the guard was given
 * @param after - the headers of the guard's decision
 */
export function applyHeaderChanges(sent: HeaderList, before: HeaderList, after: HeaderList): HeaderList {
  const old = byName(before);
  const next = byName(after);
  const changed = new Set<string>();
  for (const [name, entries] of old) {
    const now = next.get(name);
    if (now === undefined || !sameValues(entries, now)) changed.add(name);
  }
  if (changed.size === 0 && [...next.keys()].every((name) => old.has(name))) return sent;
  const out: HeaderEntry[] = [];
  const placed = new Set<string>();
  for (const entry of sent) {
    const name = entry[0].toLowerCase();
    if (!changed.has(name)) out.push(entry);
    else if (!placed.has(name)) {
      placed.add(name);
      out.push(...(next.get(name) ?? []));
    }
  }
  for (const [name, entries] of next) if (!old.has(name)) out.push(...entries);
  return out;
}

/** Entries grouped by lower-case name, `Host` left out. */
function byName(headers: HeaderList): Map<string, HeaderEntry[]> {
  const groups = new Map<string, HeaderEntry[]>();
  for (const entry of headers) {
    const name = entry[0].toLowerCase();
    if (name === 'host') continue;
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [entry]);
    else group.push(entry);
  }
  return groups;
}

function sameValues(a: readonly HeaderEntry[], b: readonly HeaderEntry[]): boolean {
  return a.length === b.length && a.every((entry, i) => entry[1] === b[i]?.[1]);
}
