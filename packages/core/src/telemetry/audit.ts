/** One audit record per request that matched an API, whatever the outcome. */
export interface AuditEvent {
  /** Exchange id, shared with sideband correlation ids. */
  readonly exchangeId: string;
  /** Name of the matched API. */
  readonly api: string;
  /** Name of the security profile that admitted the request, if any. */
  readonly profile: string | undefined;
  /** Who called (`Anonymous`, a username, a token claim), when known. */
  readonly identity: string | undefined;
  readonly clientIp: string;
  readonly method: string;
  readonly path: string;
  /** Status sent to the client. */
  readonly status: number;
  /** `continue` when the app or upstream answered, `respond` when Sideguard did. */
  readonly decision: 'continue' | 'respond';
  /** The decision reason. */
  readonly reason: string;
  /** Milliseconds from the guard's first look at the request to the end of the response. */
  readonly latencyMs: number;
  /** Request body bytes as declared by `Content-Length`, or read; 0 when unknown. */
  readonly requestBytes: number;
  /** Response body bytes sent, when the adapter could count them. */
  readonly responseBytes: number | undefined;
}

/** Receives audit events; called synchronously, so keep it cheap (queue, don't do I/O inline). */
export type AuditSink = (event: AuditEvent) => void;
