import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/compile';
import type { ExchangeState } from '../../src/guard/exchange';
import { createGuard } from '../../src/index';
import { ruleMatches } from '../../src/rules/match-rule';

describe('claim conditions', () => {
  const config = {
    apis: [{ name: 'a', basePath: '/a' }],
    rules: [
      { name: 'admins', match: { claims: { scope: 'admin', roles: 'ops', tenant: 'acme', level: 3 } }, deny: {} },
    ],
  };
  const [rule] = compileConfig(config).rules.request;
  const exchangeWith = (claims: Record<string, unknown> | undefined): ExchangeState => {
    const exchange = createGuard(config).exchangeFor({
      method: 'GET',
      target: '/a',
      httpVersion: '1.1',
      headers: [['host', 'x']],
      remoteAddress: '192.0.2.1',
      remotePort: 1,
      encrypted: false,
    }) as ExchangeState;
    exchange.claims = claims;
    return exchange;
  };

  it('holds when each claim equals the value or contains it', () => {
    if (rule === undefined) throw new Error('no rule');
    const claims = { scope: 'read admin', roles: ['dev', 'ops'], tenant: 'acme', level: 3 };
    expect(ruleMatches(rule, exchangeWith(claims))).toBe(true);
    expect(ruleMatches(rule, exchangeWith({ ...claims, scope: 'read administrator' }))).toBe(false);
    expect(ruleMatches(rule, exchangeWith({ ...claims, roles: 'ops-team' }))).toBe(false);
    expect(ruleMatches(rule, exchangeWith({ ...claims, level: '3' }))).toBe(false);
    expect(ruleMatches(rule, exchangeWith({ ...claims, tenant: undefined }))).toBe(false);
    expect(ruleMatches(rule, exchangeWith(undefined))).toBe(false);
  });
});
