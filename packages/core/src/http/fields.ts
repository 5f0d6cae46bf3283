import type { HeaderEntry, HeaderList } from './headers';

/** An RFC 9110 token: header names and methods. */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Characters Node refuses in a header value (CR, LF, NUL and other controls; code points past Latin-1). */
const badValue = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Whether `name` may be sent as a header name or method (an RFC 9110 token).
 * @param name - the candidate
 */
export function isToken(name: string): boolean {
  return token.test(name);
}

/**
 * Whether `value` may be sent as a header value: no CR, LF, NUL or other control characters.
 * @param value - the candidate
 */
export function isFieldValue(value: string): boolean {
  return !badValue.test(value);
}

/** Connection-specific headers (RFC 9110 §7.6.1) plus `proxy-*`; never forwarded as they are. */
const hopByHop = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The lower-case names a header list declares connection-specific: the fixed hop-by-hop set is not
 * included, only what its `Connection` lines name.
 * @param headers - one or more header lists whose `Connection` lines count
 */
export function connectionNamed(...headers: HeaderList[]): Set<string> {
  const names = new Set<string>();
  for (const list of headers) {
    for (const [name, value] of list) {
      if (name.toLowerCase() !== 'connection') continue;
      for (const part of value.split(',')) {
        const named = part.trim().toLowerCase();
        if (named !== '') names.add(named);
      }
    }
  }
  return names;
}

/**
 * Whether a header is connection-specific: the hop-by-hop set, `proxy-*`, or named in `Connection`.
 * @param lowerName - the header name, lower case
 * @param named - names from {@link connectionNamed}
 */
export function isHopByHop(lowerName: string, named: ReadonlySet<string>): boolean {
  return hopByHop.has(lowerName) || lowerName.startsWith('proxy-') || named.has(lowerName);
}

/** Headers the transport sets from the body it actually sends; a policy engine never decides them. */
const framing = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

/**
 * Drops hop-by-hop, encoding and framing headers from a response a policy engine wrote: adapters frame
 * the body themselves, and the body is a plain string.
 * @param headers - the engine's headers
 */
export function withoutTransportHeaders(headers: HeaderList): HeaderEntry[] {
  const named = connectionNamed(headers);
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return !framing.has(lower) && !isHopByHop(lower, named);
  });
}

/**
 * Whether a header is one the transport frames a body with (`content-length`, `content-encoding`,
 * `transfer-encoding`).
 * @param lowerName - the header name, lower case
 */
export function isFraming(lowerName: string): boolean {
  return framing.has(lowerName);
}

const imfFixdate =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * A `Retry-After` value worth passing on: delta-seconds, or an HTTP-date in the preferred IMF-fixdate
 * form; `undefined` for anything else.
 * @param value - the header as received
 */
export function validRetryAfter(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return trimmed;
  return imfFixdate.test(trimmed) && !Number.isNaN(Date.parse(trimmed)) ? trimmed : undefined;
}
