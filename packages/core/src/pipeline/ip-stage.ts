import { jsonErrorResponse } from '../decision/request-decision';
import { parseIp } from '../net/ip';
import type { RequestStage } from './stage';

/**
 * Step 4: the authenticated profile's trusted IP ranges. A profile without ranges accepts any address;
 * an unreadable client address is outside every range.
 */
export const ipRangeStage: RequestStage = {
  name: 'ip-ranges',
  run(exchange) {
    const ranges = exchange.matchedProfile?.ipRanges;
    if (ranges === undefined) return undefined;
    const address = parseIp(exchange.request.clientIp);
    if (address !== undefined && ranges.has(address)) return undefined;
    return jsonErrorResponse(403, 'ip-denied', 'Requests from this address are not allowed.');
  },
};
