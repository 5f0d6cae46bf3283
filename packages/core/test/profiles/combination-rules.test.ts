import { describe, expect, it } from 'vitest';
import { type ProfileKind, profileCombinationProblems } from '../../src/profiles/combination-rules';

const basic = (name: string): ProfileKind => ({ name, type: 'basic' });
const oauth = (name: string): ProfileKind => ({ name, type: 'oauth2' });
const anonymous = (name: string): ProfileKind => ({ name, type: 'anonymous' });

describe('profile combination rules (seed 002 §2)', () => {
  it('allows several Basic profiles, or one OAuth, or one Anonymous', () => {
    expect(profileCombinationProblems([basic('finance'), basic('accounting'), basic('audit')])).toEqual([]);
    expect(profileCombinationProblems([oauth('google')])).toEqual([]);
    expect(profileCombinationProblems([anonymous('public')])).toEqual([]);
    expect(profileCombinationProblems([])).toEqual([]);
  });

  it.each([
    [[basic('b'), oauth('o')], 'Basic and OAuth 2.0 profiles cannot share an API ("b", "o")'],
    [[basic('b'), anonymous('a')], 'Basic and Anonymous profiles cannot share an API ("b", "a")'],
    [[oauth('o'), anonymous('a')], 'OAuth 2.0 and Anonymous profiles cannot share an API ("o", "a")'],
    [[oauth('o1'), oauth('o2')], 'at most one OAuth 2.0 profile per API ("o1", "o2")'],
    [[anonymous('a1'), anonymous('a2')], 'at most one Anonymous profile per API ("a1", "a2")'],
    [[basic('b'), basic('b')], 'profile "b" is assigned more than once'],
  ])('refuses %j', (profiles, message) => {
    expect(profileCombinationProblems(profiles)).toEqual([message]);
  });

  it('reports every broken rule at once', () => {
    expect(profileCombinationProblems([basic('b'), oauth('o'), anonymous('a'), oauth('o')])).toEqual([
      'profile "o" is assigned more than once',
      'Basic and OAuth 2.0 profiles cannot share an API ("b", "o")',
      'Basic and Anonymous profiles cannot share an API ("b", "a")',
      'OAuth 2.0 and Anonymous profiles cannot share an API ("o", "a")',
    ]);
  });
});
