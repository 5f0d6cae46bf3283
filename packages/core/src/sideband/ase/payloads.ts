import { STATUS_CODES } from 'node:http';
import type { GatewayRequest } from '../../http/gateway-request';
import { type HeaderList, headerValue } from '../../http/headers';
import { filterHeaders, type HeaderFilterSettings, type PayloadHeader } from '../header-filter';

/** The `/ase/request` body (protocol reference §2 and §11.2). */
export interface AseRequestPayload {
  readonly source_ip: string;
  readonly source_port: number;
  readonly method: string;
  readonly url: string;
  readonly http_version: string;
  readonly headers: PayloadHeader[];
  readonly user_info?: { readonly username?: string; readonly client_id?: string }[];
}

/** The `/ase/response` body (protocol reference §3 and §11.3). */
export interface AseResponsePayload {
  readonly response_code: string;
  readonly response_status: string;
  readonly http_version: string;
  readonly headers: PayloadHeader[];
}

/** Who the caller is, when Sideguard authenticated it. */
export interface AseUser {
  readonly username: string | undefined;
  readonly clientId: string | undefined;
}

/**
 * Builds the request-phase payload: the resolved client address, the path and query the backend
 * will see, `host` first, filtered headers, and `user_info` for authenticated callers.
 * @param request - the request as it will be forwarded
 * @param filter - header filter settings
 * @param user - the authenticated caller, if any
 */
export function aseRequestPayload(
  request: GatewayRequest,
  filter: HeaderFilterSettings,
  user: AseUser | undefined,
): AseRequestPayload {
  const host = headerValue(request.headers, 'host') ?? request.host;
  const payload: AseRequestPayload = {
    source_ip: request.clientIp,
    source_port: request.remotePort,
    method: request.method,
    url: request.url,
    http_version: '1.1',
    headers: filterHeaders(request.headers, filter, host),
  };
  if (user === undefined || (user.username === undefined && user.clientId === undefined)) return payload;
  const info: { username?: string; client_id?: string } = {};
  if (user.username !== undefined) info.username = user.username;
  if (user.clientId !== undefined) info.client_id = user.clientId;
  return { ...payload, user_info: [info] };
}

/**
 * Builds the response-phase payload from the backend's status and headers.
 * @param status - the status sent to the client
 * @param headers - the response headers
 * @param filter - header filter settings
 */
export function aseResponsePayload(
  status: number,
  headers: HeaderList,
  filter: HeaderFilterSettings,
): AseResponsePayload {
  return {
    response_code: String(status),
    response_status: STATUS_CODES[status] ?? '',
    http_version: '1.1',
    headers: filterHeaders(headers, filter),
  };
}
