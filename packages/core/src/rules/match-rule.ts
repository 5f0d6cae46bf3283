import type { ExchangeState } from '../guard/exchange';
import { headerValues } from '../http/headers';
import { normalizePath } from '../http/target';
import type { CompiledRule } from './compiled-rule';

/** How much of a request is known when rules are matched. */
export type KnownFacts = 'all' | 'request' | 'target';

/**
 * Whether a rule's conditions all hold for an exchange. The path is compared in its normalized form
 * without a trailing slash, so `/a/../admin`, `/%61dmin` and `/persons/7/` (frameworks route a
 * trailing slash like none) cannot slip past a rule on `/admin/**` or `/persons/*`.
 * @param rule - the rule
 * @param exchange - an exchange that matched an API
 * @param known - what is known of the request: `all`; `request` when nobody authenticated it here (a
 *   response phase with the request but no state); `target` when only method and URL are known.
 *   Conditions on unknown facts count as met, so a response filter errs towards removing, not leaking.
 */
export function ruleMatches(rule: CompiledRule, exchange: ExchangeState, known: KnownFacts = 'all'): boolean {
  const { request } = exchange;
  if (rule.apis !== undefined && (exchange.route === undefined || !rule.apis.has(exchange.route.info.name)))
    return false;
  if (rule.methods !== undefined && !rule.methods.has(request.method.toUpperCase())) return false;
  if (rule.path !== undefined && !rule.path.test(rulePath(request.path))) return false;
  if (known === 'target') return true;
  for (const [name, condition] of rule.headers) {
    const values = headerValues(request.headers, name);
    if (
      condition === true ? values.length === 0 : condition === false ? values.length > 0 : !values.includes(condition)
    )
      return false;
  }
  if (known === 'request') return true;
  if (rule.profiles !== undefined) {
    const profile = exchange.matchedProfile?.name;
    if (profile === undefined || !rule.profiles.has(profile)) return false;
  }
  for (const [name, expected] of rule.claims) {
    if (!claimHolds(exchange.claims?.[name], expected, name)) return false;
  }
  return true;
}

function rulePath(path: string): string {
  const normalized = normalizePath(path);
  let end = normalized.length;
  while (end > 1 && normalized.charCodeAt(end - 1) === 0x2f) end--;
  return end === normalized.length ? normalized : normalized.slice(0, end);
}

function claimHolds(actual: unknown, expected: string | number | boolean, name: string): boolean {
  if (Array.isArray(actual)) return actual.includes(expected);
  // OAuth scopes travel as one space-separated string.
  if ((name === 'scope' || name === 'scp') && typeof actual === 'string' && typeof expected === 'string')
    return actual.split(' ').includes(expected);
  return actual === expected;
}
