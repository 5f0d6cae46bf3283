import type { HeaderList } from './headers';

/** A response in Sideguard's framework-free model, as the app or upstream produced it. */
export interface GatewayResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Header lines in order, duplicates kept. */
  readonly headers: HeaderList;
  /** Body bytes sent, when known (counted by the adapter or taken from `Content-Length`). */
  readonly bodyBytes?: number | undefined;
  /**
   * The whole body, when the adapter captured it because the decision asked for it
   * (`ContinueDecision.captureResponse`).
   */
  readonly body?: Uint8Array | undefined;
  /**
   * The body was longer than the capture limit, so it was not captured: the adapter sent
   * `captureResponse.onOverflow` instead, or (without one) the response unchanged.
   */
  readonly bodyOverflow?: boolean | undefined;
}

/** A complete response that replaces what the app or upstream produced (a response phase rewrote it). */
export interface ReplacementResponse {
  readonly status: number;
  /** Header lines to send; adapters set `Content-Length` from the body themselves. */
  readonly headers: HeaderList;
  readonly body: Uint8Array;
}
