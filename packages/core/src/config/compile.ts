import { ConfigError, type ConfigIssue } from '../errors/config-error';
import type { ApiInfo } from '../guard/exchange';
import type { RequestReadOptions } from '../http/gateway-request';
import { RouteTable } from '../routing/route-table';
import { configSchema } from './schema';

/** An API ready for the hot path. */
export interface CompiledApi {
  readonly info: ApiInfo;
  readonly host: string | undefined;
  readonly basePath: string;
}

/** A validated configuration turned into the structures the request path reads. */
export interface CompiledConfig {
  readonly apis: readonly CompiledApi[];
  readonly routes: RouteTable<CompiledApi>;
  readonly denyUnmatched: boolean;
  readonly failOpen: boolean;
  readonly read: RequestReadOptions;
}

/**
 * Validates a configuration and compiles it once for the request path.
 * @param input - the configuration as written
 * @throws ConfigError listing every problem with its path
 */
export function compileConfig(input: unknown): CompiledConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
        message: issue.message,
      })),
    );
  }
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  config.apis.forEach((api, index) => {
    const sameName = names.get(api.name);
    if (sameName !== undefined) {
      issues.push({
        path: ['apis', index, 'name'],
        message: `duplicate API name "${api.name}" (also apis[${sameName}])`,
      });
    } else names.set(api.name, index);
    const path = config.routing.caseSensitive ? api.basePath : api.basePath.toLowerCase();
    const key = `${api.host ?? '*'} ${path}`;
    const samePlace = keys.get(key);
    if (samePlace !== undefined) {
      issues.push({
        path: ['apis', index, 'basePath'],
        message: `"${api.name}" has the same host and base path as apis[${samePlace}]${config.routing.caseSensitive ? '' : ' (paths compare case-insensitively)'}`,
      });
    } else keys.set(key, index);
  });
  if (issues.length > 0) throw new ConfigError(issues);

  const apis = config.apis.map(
    (api): CompiledApi => ({
      info: Object.freeze({ name: api.name, host: api.host, basePath: api.basePath }),
      host: api.host,
      basePath: api.basePath,
    }),
  );
  return {
    apis,
    routes: new RouteTable(apis, config.routing.caseSensitive),
    denyUnmatched: config.unmatched === 'deny',
    failOpen: config.onError === 'open',
    read: {
      trustedProxies:
        config.trustedProxies === undefined
          ? undefined
          : { blocks: config.trustedProxies.addresses.flat(), header: config.trustedProxies.header },
      maxBodyBytes: config.body.maxBytes,
    },
  };
}

/**
 * Checks a configuration without building a guard.
 * @param input - the configuration as written
 * @returns the problems found; empty when the configuration is valid
 */
export function validateConfig(input: unknown): readonly ConfigIssue[] {
  try {
    compileConfig(input);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}
