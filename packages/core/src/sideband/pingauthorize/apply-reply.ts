import { isFraming, isHopByHop } from '../../http/fields';
import { type GatewayRequest, type RequestChanges, withRequestChanges } from '../../http/gateway-request';
import type { HeaderEntry, HeaderList } from '../../http/headers';
import { hostnameOf } from '../../http/target';
import type { PingAuthorizeRequestPayload } from './payloads';
import type { AllowReply, InvalidReply } from './replies';
import { sameHeaders } from './same-headers';

const absoluteUrl = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/i;
/** A URL a request line can carry: printable ASCII, no spaces. */
const printable = /^[\x21-\x7e]+$/;

/** Authority and origin-form target of an absolute URL; `undefined` when it is not one. */
function splitUrl(url: string): { authority: string; target: string } | undefined {
  if (!printable.test(url)) return undefined;
  const match = absoluteUrl.exec(url);
  if (match === null) return undefined;
  const rest = match[3] ?? '';
  const target = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  return target.startsWith('/') ? { authority: match[2] ?? '', target } : undefined;
}

function lowerNamed(headers: HeaderList, name: string): HeaderEntry[] {
  return headers.filter(([key]) => key.toLowerCase() === name);
}

/** Options of {@link applyAllowReply}. */
export interface ApplyOptions {
  /** Replace `Accept-Encoding` with `identity`, so the response phase gets a readable body. */
  readonly identityEncoding: boolean;
}

/**
 * Turns an allow reply into the request to forward (protocol reference §9.3). Method, path and query
 * are applied; a changed host sets only the `Host` header; headers follow the reply when any name's
 * values differ (case-insensitive names; the reply's order and case kept); a body the engine changed
 * replaces the original, and an absent one empties a body that was sent. The fixed hop-by-hop
 * headers are dropped from a rewritten request (names in the client's `Connection` are not: see
 * {@link rebuildHeaders}), and framing (`Content-Length`, `Transfer-Encoding`,
 * `Content-Encoding`) is always the gateway's: recomputed for a buffered body, kept for a body still
 * on the wire. Returns the same request object when nothing changed.
 * @param request - the request that was sent
 * @param sent - the payload that was sent for it
 * @param reply - the validated allow reply
 * @param options - whether to ask upstream for an unencoded response
 */
export function applyAllowReply(
  request: GatewayRequest,
  sent: PingAuthorizeRequestPayload,
  reply: AllowReply,
  options: ApplyOptions,
): GatewayRequest | InvalidReply {
  const changes: { -readonly [K in keyof RequestChanges]: RequestChanges[K] } = {};
  if (reply.method !== undefined && reply.method !== sent.method) changes.method = reply.method;

  let host: string | undefined;
  if (reply.url !== undefined && reply.url !== sent.url) {
    const next = splitUrl(reply.url);
    const before = splitUrl(sent.url);
    if (next === undefined || before === undefined) {
      return { kind: 'invalid', cause: 'bad-url', detail: 'url is not an absolute URL with an origin-form path' };
    }
    if (next.authority.toLowerCase() !== before.authority.toLowerCase()) {
      if (hostnameOf(next.authority) === '') {
        return { kind: 'invalid', cause: 'bad-url', detail: 'url names an invalid host' };
      }
      host = next.authority;
    }
    if (next.target !== before.target) changes.url = next.target;
  }

  const headersChanged = reply.headers !== undefined && !sameHeaders(reply.headers, request.headers);
  // Absent and empty are the same: a sent body the reply leaves out is emptied, and no body stays none.
  const body = reply.body ?? '';
  if (body !== (sent.body ?? '')) changes.body = Buffer.from(body, 'utf8');

  let headers: HeaderList = request.headers;
  if (headersChanged || host !== undefined || changes.body !== undefined) {
    headers = rebuildHeaders(request, headersChanged ? (reply.headers ?? []) : request.headers, host, changes.body);
  }
  if (options.identityEncoding) headers = withIdentityEncoding(headers);
  if (headers !== request.headers) changes.headers = headers;
  return Object.keys(changes).length === 0 ? request : withRequestChanges(request, changes);
}

/**
 * The headers with `Accept-Encoding: identity` instead of whatever the client accepted, so the
 * response phase gets a body it can read.
 * @param headers - the request headers
 */
export function withIdentityEncoding(headers: HeaderList): HeaderEntry[] {
  // Without `Accept-Charset` the app answers in its default charset (UTF-8 nearly everywhere); a client
  // asking for another one would get a body the engine is not shown.
  const kept = headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== 'accept-encoding' && lower !== 'accept-charset';
  });
  kept.push(['Accept-Encoding', 'identity']);
  return kept;
}

/** No `Connection`-named headers: only the fixed hop-by-hop set counts for a rewritten request. */
const noConnectionNames: ReadonlySet<string> = new Set();

/**
 * The request's headers rebuilt from the engine's list. Names listed in `Connection` are not dropped:
 * the engine's list is authoritative, and the client's `Connection` would otherwise delete headers a
 * policy set (`Connection: X-Tenant-Filter`). Not even the client's own lines of those names: when a
 * policy sets a header to the value the client sent, the two cannot be told apart. The app runs in
 * this process, so those lines were never going to be dropped by a hop anyway.
 */
function rebuildHeaders(
  request: GatewayRequest,
  base: HeaderList,
  host: string | undefined,
  newBody: Uint8Array | undefined,
): HeaderEntry[] {
  const out: HeaderEntry[] = request.headers.filter(([name]) => name.startsWith(':'));
  const kept: HeaderEntry[] = [];
  for (const entry of base) {
    const lower = entry[0].toLowerCase();
    if (lower.startsWith(':') || isHopByHop(lower, noConnectionNames) || isFraming(lower)) continue;
    if (lower === 'host' && host !== undefined) continue;
    kept.push(entry);
  }
  // A request always keeps a Host line: a new one for a changed URL host, else the original's if the reply dropped it.
  if (host !== undefined) out.push(['Host', host]);
  else if (!kept.some(([name]) => name.toLowerCase() === 'host')) out.push(...lowerNamed(request.headers, 'host'));
  out.push(...kept);
  const bytes = newBody ?? request.body.bytes;
  if (bytes !== undefined) out.push(['Content-Length', String(bytes.byteLength)]);
  else out.push(...request.headers.filter(([name]) => isFraming(name.toLowerCase())));
  return out;
}
