import type { ExchangeState } from '../guard/exchange';
import { withRequestChanges } from '../http/gateway-request';
import type { HeaderEntry } from '../http/headers';
import { renderHeaderTemplate } from '../rules/header-template';
import { ruleMatches } from '../rules/match-rule';
import type { RequestStage } from './stage';

/**
 * The declarative rules, after the IP check and before rate limiting (a denied request consumes no
 * allowance). The first matching `deny` answers; every matching `request` rule changes the request in
 * order; matching `response` rules are remembered for the response.
 */
export const rulesStage: RequestStage = {
  name: 'rules',
  run(exchange) {
    const { rules } = exchange.config;
    if (exchange.route === undefined || (rules.request.length === 0 && rules.response.length === 0)) return undefined;
    let headers: HeaderEntry[] | undefined;
    for (const rule of rules.request) {
      if (!ruleMatches(rule, exchange)) continue;
      if (rule.deny !== undefined) return { reason: 'rule-denied', ...rule.deny };
      headers ??= [...exchange.request.headers];
      for (const name of rule.removeHeaders) headers = withoutHeader(headers, name);
      for (const [name, template] of rule.setHeaders) {
        headers = withoutHeader(headers, name);
        const value = renderHeaderTemplate(template, factsOf(exchange));
        if (value !== undefined) headers.push([name, value]);
      }
    }
    const responseRules = rules.response.filter((rule) => ruleMatches(rule, exchange));
    if (responseRules.length > 0) {
      exchange.responseRules = responseRules;
      // Response rules read the body: ask the app for it uncompressed, in its own (UTF-8) charset.
      headers = withoutHeader(
        withoutHeader(headers ?? [...exchange.request.headers], 'accept-encoding'),
        'accept-charset',
      );
      headers.push(['accept-encoding', 'identity']);
    }
    if (headers !== undefined) exchange.request = withRequestChanges(exchange.request, { headers });
    return undefined;
  },
};

function withoutHeader(headers: HeaderEntry[], name: string): HeaderEntry[] {
  return headers.filter(([key]) => key.toLowerCase() !== name);
}

function factsOf(exchange: ExchangeState) {
  return {
    identity: exchange.identity,
    principal: exchange.principal,
    profile: exchange.matchedProfile?.name,
    api: exchange.route?.info.name,
    clientIp: exchange.request.clientIp,
    exchangeId: exchange.id,
    claims: exchange.claims,
  };
}
