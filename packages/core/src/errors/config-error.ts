import { SideguardError } from './sideguard-error';

/** One problem found in a configuration, with the path of the offending value. */
export interface ConfigIssue {
  /** Path segments from the config root, e.g. `['apis', 2, 'basePath']`. */
  readonly path: readonly (string | number)[];
  /** What is wrong, in words. */
  readonly message: string;
}

/**
 * Formats a config path the way people write it in JSON: `apis[2].basePath`.
 * @param path - path segments from the config root
 */
export function formatConfigPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Raised when a configuration is invalid. Lists every problem found, not just the first,
 * each with its path.
 */
export class ConfigError extends SideguardError {
  /** Every problem found, in the order they were found. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${formatConfigPath(issue.path)}: ${issue.message}`);
    super(
      'SIDEGUARD_CONFIG_INVALID',
      `Invalid Sideguard config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.issues = issues;
  }
}
