import { createHmac } from 'node:crypto';
import type { HeaderList } from '../http/headers';

/** How headers are chosen for a sideband payload. */
export interface HeaderFilterSettings {
  /** `deny`: send every header except `names`; `allow`: send only `names` (plus `host`). */
  readonly mode: 'allow' | 'deny';
  /** Lower-case header names for the mode. */
  readonly names: ReadonlySet<string>;
  /** Lower-case names whose values are replaced by a keyed SHA-256 (hex): stable, but not readable. */
  readonly redact: ReadonlySet<string>;
  /** Send `cookie` and `authorization` (the engine recognises clients by them); off by default. */
  readonly sendCredentials: boolean;
  /** Key for redaction hashes. */
  readonly redactionKey: string;
  /** Most entries sent; the rest are dropped. */
  readonly maxHeaders: number;
  /** Most bytes of names and values sent in all; entries past it are dropped. */
  readonly maxBytes: number;
}

/** One header as sideband payloads carry it: an object with a single lower-case key. */
export type PayloadHeader = Readonly<Record<string, string>>;

const credentials = new Set(['cookie', 'authorization', 'proxy-authorization']);

/**
 * Turns a header list into sideband payload entries: names lower-cased, one entry per value (repeated
 * keys for multi-valued headers), `host` first when `hostValue` is given and always kept, the
 * configured allow/deny list applied, credentials dropped unless kept, chosen values redacted, and
 * the result capped in count and size.
 * @param headers - headers as received or as the backend answered
 * @param settings - the filter
 * @param hostValue - the `host` entry to put first (request phase); `undefined` for responses
 */
export function filterHeaders(
  headers: HeaderList,
  settings: HeaderFilterSettings,
  hostValue?: string,
): PayloadHeader[] {
  const out: PayloadHeader[] = [];
  const { maxHeaders, maxBytes } = settings;
  let bytes = 0;
  if (hostValue !== undefined && maxHeaders > 0 && hostValue.length + 4 <= maxBytes) {
    bytes = hostValue.length + 4;
    out.push({ host: hostValue });
  }
  // One loop without a helper closure: this runs for every screened request.
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (name === 'host' || name.charCodeAt(0) === 0x3a) continue;
    if (credentials.has(name) && !settings.sendCredentials && !settings.redact.has(name)) continue;
    if (settings.mode === 'allow' ? !settings.names.has(name) : settings.names.has(name)) continue;
    const sent = settings.redact.has(name) ? redact(settings.redactionKey, value) : value;
    const size = name.length + sent.length;
    if (out.length >= maxHeaders || bytes + size > maxBytes) break;
    bytes += size;
    out.push({ [name]: sent });
  }
  return out;
}

function redact(key: string, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
