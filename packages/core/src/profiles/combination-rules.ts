/** A profile as far as the combination rules care: its name and authentication type. */
export interface ProfileKind {
  readonly name: string;
  readonly type: 'anonymous' | 'basic' | 'oauth2';
}

const label = { anonymous: 'Anonymous', basic: 'Basic', oauth2: 'OAuth 2.0' } as const;

/**
 * The seed's rules for profiles on one API: several Basic profiles may share an API; Basic, OAuth 2.0
 * and Anonymous may not be mixed; at most one OAuth 2.0 and one Anonymous profile; no profile twice.
 * @param profiles - the API's profiles in assignment order
 * @returns one message per broken rule, naming the profiles involved; empty when the set is allowed
 */
export function profileCombinationProblems(profiles: readonly ProfileKind[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const profile of profiles) {
    if (seen.has(profile.name)) problems.push(`profile "${profile.name}" is assigned more than once`);
    seen.add(profile.name);
  }
  const unique = profiles.filter((p, i) => profiles.findIndex((q) => q.name === p.name) === i);
  const byType = (type: ProfileKind['type']) => unique.filter((p) => p.type === type).map((p) => `"${p.name}"`);
  const [anonymous, basic, oauth] = [byType('anonymous'), byType('basic'), byType('oauth2')];
  const mix = (a: ProfileKind['type'], aNames: string[], b: ProfileKind['type'], bNames: string[]) => {
    if (aNames.length > 0 && bNames.length > 0) {
      problems.push(`${label[a]} and ${label[b]} profiles cannot share an API (${[...aNames, ...bNames].join(', ')})`);
    }
  };
  mix('basic', basic, 'oauth2', oauth);
  mix('basic', basic, 'anonymous', anonymous);
  mix('oauth2', oauth, 'anonymous', anonymous);
  if (oauth.length > 1) problems.push(`at most one OAuth 2.0 profile per API (${oauth.join(', ')})`);
  if (anonymous.length > 1) problems.push(`at most one Anonymous profile per API (${anonymous.join(', ')})`);
  return problems;
}
