import type { HeaderList } from './headers';

/** A response in Sideguard's framework-free model, as the app or upstream produced it. */
export interface GatewayResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Header lines in order, duplicates kept. */
  readonly headers: HeaderList;
  /** Body bytes sent, when known (counted by the adapter or taken from `Content-Length`). */
  readonly bodyBytes?: number | undefined;
}
