import { jsonErrorResponse } from '../decision/request-decision';
import type { RequestStage } from './stage';

/**
 * Step 2: APIs marked `sslOnly` take only requests that reached Sideguard (or the first trusted proxy)
 * over TLS. Plain HTTP is redirected to the same host and path on https (308 keeps method and body),
 * or refused, by config. A request without a usable Host cannot be redirected and is refused.
 */
export const sslStage: RequestStage = {
  name: 'ssl-only',
  run(exchange) {
    const mode = exchange.route?.sslOnly;
    const { request } = exchange;
    if (mode === undefined || request.scheme === 'https') return undefined;
    // The API's own host when it has one, so a client cannot aim the redirect elsewhere.
    const host = exchange.route?.host ?? request.host;
    if (mode === 'redirect' && host !== '') {
      const location = `https://${host}${request.url}`;
      return jsonErrorResponse(308, 'https-redirect', 'This API is served over https only.', [['location', location]]);
    }
    return jsonErrorResponse(403, 'https-required', 'This API is served over https only.');
  },
};
