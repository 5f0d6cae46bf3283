import { describe, expect, it } from 'vitest';
import { parseHeaderTemplate, renderHeaderTemplate, type TemplateFacts } from '../../src/rules/header-template';
import { compilePathPattern } from '../../src/rules/path-pattern';

const facts: TemplateFacts = {
  identity: 'alice',
  principal: 'alice',
  profile: 'partners',
  api: 'orders',
  clientIp: '192.0.2.1',
  exchangeId: 'e-1',
  claims: { sub: 'u-1', scope: 'read write', roles: ['a', 'b'], nested: { x: 1 }, bad: 'x\r\nInjected: 1' },
};

function render(text: string): string | undefined {
  const template = parseHeaderTemplate(text);
  if (typeof template === 'string') throw new Error(template);
  return renderHeaderTemplate(template, facts);
}

describe('header templates', () => {
  it('fills facts and claims', () => {
    expect(render('{identity}')).toBe('alice');
    expect(render('user={principal}; via={profile}/{api} from {clientIp} ({exchangeId})')).toBe(
      'user=alice; via=partners/orders from 192.0.2.1 (e-1)',
    );
    expect(render('{claim:sub} {claim:roles}')).toBe('u-1 a b');
    expect(render('plain')).toBe('plain');
  });

  it('gives nothing when a variable has no usable value', () => {
    expect(render('{claim:missing}')).toBeUndefined();
    expect(render('{claim:nested}')).toBeUndefined();
    // A claim cannot smuggle a second header in.
    expect(render('{claim:bad}')).toBeUndefined();
  });

  it('names unknown variables', () => {
    expect(parseHeaderTemplate('{password}')).toMatch(/unknown variable "\{password\}"/);
    expect(parseHeaderTemplate('{claim:}')).toMatch(/unknown variable/);
  });
});

describe('path patterns', () => {
  it('matches one segment with * and any number with **', () => {
    const one = compilePathPattern('/orders/*/items', false);
    expect(one.test('/orders/42/items')).toBe(true);
    expect(one.test('/orders/42/x/items')).toBe(false);
    const any = compilePathPattern('/admin/**', false);
    for (const path of ['/admin', '/admin/', '/admin/users/1']) expect(any.test(path)).toBe(true);
    expect(any.test('/administrator')).toBe(false);
    expect(compilePathPattern('/files/*.json', false).test('/files/a.json')).toBe(true);
    expect(compilePathPattern('/files/*.json', false).test('/files/ajson')).toBe(false);
  });

  it('follows routing case sensitivity', () => {
    expect(compilePathPattern('/Admin/**', false).test('/ADMIN/x')).toBe(true);
    expect(compilePathPattern('/Admin/**', true).test('/ADMIN/x')).toBe(false);
  });
});
