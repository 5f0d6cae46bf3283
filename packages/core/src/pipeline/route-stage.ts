import { jsonErrorResponse } from '../decision/request-decision';
import { normalizePath } from '../http/target';
import { passThrough, type RequestStage } from './stage';

/**
 * Step 1: find the API by host and longest base path. A request whose host is ambiguous (several
 * or unreadable `Host` lines, or a target naming another host) is refused (400) before matching. The path is matched as sent and as a
 * normalizing server would read it; when the two pick different APIs the request is refused (400),
 * because the app behind might see either. Unmatched requests pass untouched, or get 404 when
 * `unmatched` is `deny`.
 */
export const routeStage: RequestStage = {
  name: 'route',
  run(exchange) {
    const { request, config } = exchange;
    if (request.ambiguousHost)
      return jsonErrorResponse(400, 'ambiguous-host', 'The request names its host ambiguously.');
    const api = config.routes.match(request.host, request.path);
    const normalized = normalizePath(request.path);
    if (normalized !== request.path && config.routes.match(request.host, normalized) !== api) {
      return jsonErrorResponse(400, 'ambiguous-path', 'The request path is ambiguous.');
    }
    if (api === undefined) {
      return config.denyUnmatched ? jsonErrorResponse(404, 'unmatched', 'No API serves this path.') : passThrough;
    }
    exchange.route = api;
    return undefined;
  },
};
