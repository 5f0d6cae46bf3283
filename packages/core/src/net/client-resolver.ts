import type { HeaderList } from '../http/headers';
import { headerValues } from '../http/headers';
import { parseForwarded, splitForwardedList } from './forwarded';
import {
  blockContains,
  canonicalSocketAddress,
  formatIp,
  type IpAddress,
  type IpBlock,
  parseIp,
  parseSocketAddress,
} from './ip';

/** Which forwarding header the trusted proxies write. Only that one is read. */
export type ForwardedHeaderMode = 'x-forwarded-for' | 'forwarded';

/** Compiled trusted-proxy settings. */
export interface TrustedProxies {
  readonly blocks: readonly IpBlock[];
  readonly header: ForwardedHeaderMode;
}

/** The client as Sideguard sees it after walking back through trusted proxies. */
export interface ResolvedClient {
  /**
   * Canonical client address (IPv4-mapped folded). `''` when a trusted proxy's forwarding header
   * could not be read: no address is safer than a guessed one (it is outside every IP range).
   */
  readonly clientIp: string;
  /** Scheme the client used to reach the first trusted proxy, or this process. */
  readonly scheme: 'http' | 'https';
}

function isTrusted(trust: TrustedProxies, address: IpAddress): boolean {
  for (const block of trust.blocks) if (blockContains(block, address)) return true;
  return false;
}

function schemeOf(value: string | undefined): 'http' | 'https' | undefined {
  const lower = value?.toLowerCase();
  return lower === 'https' || lower === 'http' ? lower : undefined;
}

/**
 * Resolves the client address and scheme. Forwarding headers are read only when the socket peer is a
 * trusted proxy; then the chain is walked from the right, hop by hop, while each hop is itself
 * trusted. The first untrusted (or unreadable) hop stops the walk, so a client can never choose its own
 * address by prepending entries.
 * @param peerText - the socket's remote address as reported
 * @param encrypted - whether the socket to this process is TLS
 * @param headers - the request headers
 * @param trust - compiled trusted proxies, or `undefined` to trust no one
 */
export function resolveClient(
  peerText: string | undefined,
  encrypted: boolean,
  headers: HeaderList,
  trust: TrustedProxies | undefined,
): ResolvedClient {
  const socketScheme = encrypted ? 'https' : 'http';
  // Without trusted proxies only the peer's canonical text is needed, which most sockets give cheaply.
  if (trust === undefined) return { clientIp: canonicalSocketAddress(peerText), scheme: socketScheme };
  const peer = parseSocketAddress(peerText);
  if (peer === undefined) return { clientIp: peerText ?? '', scheme: socketScheme };
  if (trust === undefined || !isTrusted(trust, peer)) return { clientIp: formatIp(peer), scheme: socketScheme };

  if (trust.header === 'forwarded') {
    const hops = parseForwarded(headerValues(headers, 'forwarded'));
    const { client, hop } = walk(
      trust,
      peer,
      hops.map((h) => h.node),
    );
    const proto = hop === -1 ? undefined : hops[hops.length - 1 - hop]?.proto;
    return { clientIp: client === undefined ? '' : formatIp(client), scheme: schemeOf(proto) ?? socketScheme };
  }

  const nodes = splitForwardedList(headerValues(headers, 'x-forwarded-for'));
  const protos = splitForwardedList(headerValues(headers, 'x-forwarded-proto'));
  const { client, hop } = walk(trust, peer, nodes);
  // Entry i from the right of X-Forwarded-Proto was written by the same proxy as entry i of
  // X-Forwarded-For. With fewer entries than hops, every entry present came from a trusted proxy.
  const index = Math.max(hop, 0);
  const proto = protos.length > index ? protos[protos.length - 1 - index] : protos[0];
  return { clientIp: client === undefined ? '' : formatIp(client), scheme: schemeOf(proto) ?? socketScheme };
}

/**
 * Walks the nodes from the right; `hop` is the index from the right of the chosen node, -1 for the
 * peer. An unreadable node where a trusted proxy vouched for one leaves the client unknown.
 */
function walk(
  trust: TrustedProxies,
  peer: IpAddress,
  nodes: readonly string[],
): { client: IpAddress | undefined; hop: number } {
  let client: IpAddress | undefined = peer;
  let hop = -1;
  for (let j = 0; j < nodes.length; j++) {
    const address = parseIp(nodes[nodes.length - 1 - j] ?? '');
    if (address === undefined) return { client: undefined, hop: j };
    client = address;
    hop = j;
    if (!isTrusted(trust, address)) break;
  }
  return { client, hop };
}
