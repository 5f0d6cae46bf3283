import type { StageResponse } from '../decision/request-decision';
import type { ExchangeState } from '../guard/exchange';
import type { ConnectorUsers } from './connector-users';
import type { SidebandClient } from './http/index';

/** What every sideband connector (ASE, PingAuthorize) offers the request pipeline and the guard. */
export interface SidebandConnector {
  /** The connector's name in API `sideband` chains. */
  readonly name: string;
  /** Its HTTP client, closed when the guard closes, or when a reload retired the connector and {@link users} are done. */
  readonly client: SidebandClient;
  /**
   * The exchanges still using it: entered when its request phase starts; left when the exchange is
   * answered, let through without a response phase here, or its response phase settled.
   */
  readonly users: ConnectorUsers;
  /** Whether it has a response phase, so the guard needs `handleResponse`. */
  readonly reportsResponses: boolean;
  /** Whether the client's response waits for that response phase. */
  readonly holdsResponses: boolean;
  /**
   * Request phase: a response that ends the exchange, or `undefined` to go on (possibly with
   * `exchange.request` replaced). Enters the exchange in {@link users}.
   * @param exchange - the exchange, already authenticated and rate limited
   */
  checkRequest(exchange: ExchangeState): Promise<StageResponse | undefined>;
}
