/** At most this many hops are read from forwarding headers; a longer chain is cut from the left. */
export const maxForwardedHops = 32;

/** One hop of a forwarding header: who connected to the proxy that wrote it, and over what. */
export interface ForwardedHop {
  /** The node identifier as written, brackets and port removed; may be `unknown` or obfuscated. */
  readonly node: string;
  /** The scheme this hop used, when the header says. */
  readonly proto: string | undefined;
}

/**
 * Splits the values of every `X-Forwarded-For` (or `X-Forwarded-Proto`) line into one list,
 * left (closest to the client) to right (closest to us), keeping at most the last {@link maxForwardedHops}.
 * @param values - the header's values, one per header line, in order
 */
export function splitForwardedList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) out.push(stripPort(part.trim()));
  }
  return out.length > maxForwardedHops ? out.slice(out.length - maxForwardedHops) : out;
}

/**
 * Parses RFC 7239 `Forwarded` header values into hops, left to right. Parameters other than
 * `for` and `proto` are ignored. A line with an unclosed quote could hide the entry a proxy
 * appended after it, so it yields a single unreadable hop (node `''`): the client then has no
 * known address rather than one it chose.
 * @param values - the header's values, one per header line, in order
 */
export function parseForwarded(values: readonly string[]): ForwardedHop[] {
  const hops: ForwardedHop[] = [];
  for (const value of values) {
    const elements = splitOutsideQuotes(value, ',');
    if (elements === undefined) {
      hops.push({ node: '', proto: undefined });
      continue;
    }
    for (const element of elements) {
      let node = '';
      let proto: string | undefined;
      for (const pair of splitOutsideQuotes(element, ';') ?? []) {
        const eq = pair.indexOf('=');
        if (eq === -1) continue;
        const key = pair.slice(0, eq).trim().toLowerCase();
        const raw = unquote(pair.slice(eq + 1).trim());
        if (key === 'for') node = stripPort(raw);
        else if (key === 'proto') proto = raw.toLowerCase();
      }
      hops.push({ node, proto });
    }
  }
  return hops.length > maxForwardedHops ? hops.slice(hops.length - maxForwardedHops) : hops;
}

/** Splits on a separator outside quoted strings; `undefined` when a quote is left open. */
function splitOutsideQuotes(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(text.slice(start).trim());
  return parts.filter((part) => part !== '');
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"')
    ? text.slice(1, -1).replace(/\\(.)/g, '$1')
    : text;
}

/** `[2001:db8::1]:443` → `2001:db8::1`; `192.0.2.1:8080` → `192.0.2.1`; bare IPv6 is left alone. */
function stripPort(node: string): string {
  if (node.startsWith('[')) {
    const close = node.indexOf(']');
    return close === -1 ? '' : node.slice(1, close);
  }
  const colon = node.indexOf(':');
  return colon !== -1 && colon === node.lastIndexOf(':') ? node.slice(0, colon) : node;
}
