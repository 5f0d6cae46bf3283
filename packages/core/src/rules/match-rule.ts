import type { ExchangeState } from '../guard/exchange';
import { headerValues } from '../http/headers';
import { normalizePath } from '../http/target';
import type { CompiledRule } from './compiled-rule';

/**
 * Whether a rule's conditions all hold for an exchange. The path is compared in its normalized form,
 * so `/a/../admin` and `/%61dmin` cannot slip past a rule on `/admin/**`.
 * @param rule - the rule
 * @param exchange - an exchange that matched an API
 */
export function ruleMatches(rule: CompiledRule, exchange: ExchangeState): boolean {
  const { request } = exchange;
  if (rule.apis !== undefined && (exchange.route === undefined || !rule.apis.has(exchange.route.info.name)))
    return false;
  if (rule.methods !== undefined && !rule.methods.has(request.method.toUpperCase())) return false;
  if (rule.path !== undefined && !rule.path.test(normalizePath(request.path))) return false;
  if (rule.profiles !== undefined) {
    const profile = exchange.matchedProfile?.name;
    if (profile === undefined || !rule.profiles.has(profile)) return false;
  }
  for (const [name, condition] of rule.headers) {
    const values = headerValues(request.headers, name);
    if (
      condition === true ? values.length === 0 : condition === false ? values.length > 0 : !values.includes(condition)
    )
      return false;
  }
  for (const [name, expected] of rule.claims) {
    if (!claimHolds(exchange.claims?.[name], expected, name)) return false;
  }
  return true;
}

function claimHolds(actual: unknown, expected: string | number | boolean, name: string): boolean {
  if (Array.isArray(actual)) return actual.includes(expected);
  // OAuth scopes travel as one space-separated string.
  if ((name === 'scope' || name === 'scp') && typeof actual === 'string' && typeof expected === 'string')
    return actual.split(' ').includes(expected);
  return actual === expected;
}
