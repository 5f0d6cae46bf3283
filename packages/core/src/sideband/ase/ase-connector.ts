import { jsonErrorResponse, type StageResponse } from '../../decision/request-decision';
import type { ExchangeState } from '../../guard/exchange';
import type { GatewayResponse } from '../../http/gateway-response';
import type { CauseLogger } from '../../telemetry/logger';
import { ConnectorUsers } from '../connector-users';
import type { HeaderFilterSettings } from '../header-filter';
import type { SidebandClient } from '../http/index';
import { aseRequestPayload, aseResponsePayload } from './payloads';

/** How the ASE connector behaves (protocol reference §11). */
export interface AseConnectorSettings {
  /** Sent as `ASE-Token` when set. */
  readonly token: string | undefined;
  /** ASE unreachable after failover: `open` lets the request through, `closed` answers 502. */
  readonly failMode: 'open' | 'closed';
  /**
   * ASE answered 400, 401, 503 or another unexpected status: `allow` passes the request and logs the
   * cause once; `strict` answers 502 (400/401 and others) or 503 (503).
   */
  readonly integrationErrors: 'allow' | 'strict';
  /**
   * `/ase/response` metadata: in the `background` after the client got its answer, `awaited` before
   * the answer is released to the client, or `off`.
   */
  readonly responsePhase: 'background' | 'awaited' | 'off';
  readonly headers: HeaderFilterSettings;
}

/**
 * The PingIntelligence ASE sideband connector: asks `/ase/request` for a verdict before the request
 * goes on, and reports the response to `/ase/response` afterwards. Both calls carry the exchange's
 * correlation id. It never throws: every failure becomes a verdict under the configured policy.
 */
export class AseConnector {
  readonly name = 'ase';
  readonly client: SidebandClient;
  /** Exchanges from their request phase until their response phase settled (a reload waits for them). */
  readonly users = new ConnectorUsers();
  readonly #settings: AseConnectorSettings;
  readonly #failures: CauseLogger;

  /**
   * @param client - the sideband HTTP client for the ASE endpoints
   * @param settings - token, policies, header filter
   * @param failures - logs each failure cause once
   */
  constructor(client: SidebandClient, settings: AseConnectorSettings, failures: CauseLogger) {
    this.client = client;
    this.#settings = settings;
    this.#failures = failures;
  }

  /** Whether this connector sends anything after the response. */
  get reportsResponses(): boolean {
    return this.#settings.responsePhase !== 'off';
  }

  /** Whether the client's response must wait for this connector's response phase. */
  get holdsResponses(): boolean {
    return this.#settings.responsePhase === 'awaited';
  }

  /**
   * Request phase: 200 lets the request through; 403 blocks it (403 to the client); other answers and
   * transport failures follow the configured policies.
   * @param exchange - the exchange, already authenticated and rate limited
   */
  async checkRequest(exchange: ExchangeState): Promise<StageResponse | undefined> {
    this.users.enter(exchange);
    const body = JSON.stringify(aseRequestPayload(exchange.request, this.#settings.headers, userOf(exchange)));
    let status: number;
    try {
      const reply = await this.client.send({
        method: 'POST',
        path: '/ase/request',
        headers: this.#headers(exchange),
        body,
      });
      status = reply.status;
    } catch (error) {
      this.#failures.error('ase:unreachable', { err: describe(error) }, 'ASE unreachable; applying its fail mode');
      if (this.#settings.failMode === 'open') {
        exchange.failedOpen = 'sideband-fail-open';
        return undefined;
      }
      return jsonErrorResponse(502, 'sideband-unavailable', 'The request could not be screened.');
    }
    if (status === 200) return undefined;
    if (status === 403) return jsonErrorResponse(403, 'sideband-blocked', 'The request was blocked.');
    this.#failures.error(`ase:status:${status}`, { status }, integrationMessage(status));
    if (this.#settings.integrationErrors === 'allow') {
      exchange.failedOpen = 'sideband-fail-open';
      return undefined;
    }
    return status === 503
      ? jsonErrorResponse(503, 'sideband-unavailable', 'The request could not be screened.')
      : jsonErrorResponse(502, 'sideband-unavailable', 'The request could not be screened.');
  }

  /**
   * Response phase. Settles (never rejects) when ASE answered or failed; the guard awaits it only in
   * `awaited` mode. Its outcome never changes the client's response. The exchange leaves
   * {@link users} when it settles.
   * @param exchange - the finished exchange
   * @param response - what the client was sent
   */
  reportResponse(exchange: ExchangeState, response: GatewayResponse): Promise<void> {
    if (this.#settings.responsePhase === 'off') {
      this.users.leave(exchange);
      return Promise.resolve();
    }
    const body = JSON.stringify(aseResponsePayload(response.status, response.headers, this.#settings.headers));
    return this.client
      .send({ method: 'POST', path: '/ase/response', headers: this.#headers(exchange), body, retry: false })
      .finally(() => this.users.leave(exchange))
      .then(
        (reply) => {
          if (reply.status !== 200) {
            this.#failures.error(
              `ase:response-status:${reply.status}`,
              { status: reply.status },
              'ASE refused response metadata',
            );
          }
        },
        (error: unknown) =>
          this.#failures.error(
            'ase:response-unreachable',
            { err: describe(error) },
            'ASE unreachable for response metadata',
          ),
      );
  }

  #headers(exchange: ExchangeState): Record<string, string> {
    // The exchange id is a UUID: both calls of one exchange carry the same one.
    const token = this.#settings.token;
    return token === undefined
      ? { 'content-type': 'application/json', 'x-correlationid': exchange.id }
      : { 'content-type': 'application/json', 'x-correlationid': exchange.id, 'ase-token': token };
  }
}

function userOf(exchange: ExchangeState): { username: string | undefined; clientId: string | undefined } | undefined {
  const profile = exchange.matchedProfile;
  if (profile === undefined || profile.type === 'anonymous') return undefined;
  // The authenticated name, not an audit header the client could set.
  return { username: exchange.principal, clientId: exchange.clientId };
}

function integrationMessage(status: number): string {
  if (status === 401) return 'ASE refused the sideband token (401); check the ASE-Token';
  if (status === 400) return 'ASE could not read a request payload (400)';
  if (status === 503) return 'ASE has no API definition for this host and path (503 Unknown API)';
  return `ASE answered an unexpected status ${status}`;
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { type: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { type: typeof error };
}
