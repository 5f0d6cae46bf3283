import type { SideguardConfig } from '../config/schema';
import type { ConfigIssue } from '../errors/config-error';
import type { CompiledRule, CompiledRules } from './compiled-rule';
import { parseHeaderTemplate } from './header-template';
import { type JsonPath, parseJsonPath } from './json-path';
import { compilePathPattern } from './path-pattern';

const defaultDenyBody = JSON.stringify({ error: 'rule-denied', message: 'Access denied.' });

/**
 * Compiles the `rules` section: checks names are unique and name existing APIs and profiles, parses
 * templates and JSON paths. Problems go to `issues` with their paths.
 * @param config - the validated config
 * @param issues - where problems are collected
 */
export function compileRules(config: SideguardConfig, issues: ConfigIssue[]): CompiledRules {
  const apiNames = new Set(config.apis.map((api) => api.name));
  const profileNames = new Set(Object.values(config.environments).flatMap((env) => Object.keys(env.profiles)));
  const seen = new Set<string>();
  const request: CompiledRule[] = [];
  const response: CompiledRule[] = [];
  config.rules.forEach((rule, index) => {
    const at = (...path: (string | number)[]) => ['rules', index, ...path];
    if (seen.has(rule.name)) issues.push({ path: at('name'), message: `rule name "${rule.name}" is used twice` });
    seen.add(rule.name);
    const { match } = rule;
    match.apis?.forEach((name, i) => {
      if (!apiNames.has(name)) issues.push({ path: at('match', 'apis', i), message: `no API is named "${name}"` });
    });
    match.profiles?.forEach((name, i) => {
      if (!profileNames.has(name))
        issues.push({ path: at('match', 'profiles', i), message: `no profile is named "${name}"` });
    });
    const setHeaders = Object.entries(rule.request?.setHeaders ?? {}).flatMap(([name, text]) => {
      const template = parseHeaderTemplate(text);
      if (typeof template === 'string') {
        issues.push({ path: at('request', 'setHeaders', name), message: template });
        return [];
      }
      return [[name, template] as const];
    });
    const removeFields = (rule.response?.removeFields ?? []).flatMap((text, i): JsonPath[] => {
      const path = parseJsonPath(text);
      if (typeof path === 'string') {
        issues.push({ path: at('response', 'removeFields', i), message: path });
        return [];
      }
      return [path];
    });
    const compiled: CompiledRule = {
      name: rule.name,
      apis: match.apis === undefined ? undefined : new Set(match.apis),
      methods: match.methods === undefined ? undefined : new Set(match.methods),
      path: match.path === undefined ? undefined : compilePathPattern(match.path, config.routing.caseSensitive),
      headers: Object.entries(match.headers ?? {}),
      claims: Object.entries(match.claims ?? {}),
      profiles: match.profiles === undefined ? undefined : new Set(match.profiles),
      deny:
        rule.deny === undefined
          ? undefined
          : {
              status: rule.deny.status,
              headers: denyHeaders(rule.deny.headers, rule.deny.body),
              body: denyBody(rule.deny.body),
            },
      setHeaders,
      removeHeaders: rule.request?.removeHeaders ?? [],
      removeFields,
    };
    if (compiled.deny !== undefined || rule.request !== undefined) request.push(compiled);
    if (removeFields.length > 0) response.push(compiled);
  });
  return { request, response };
}

function denyBody(body: unknown): string {
  if (body === undefined) return defaultDenyBody;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function denyHeaders(headers: Record<string, string>, body: unknown): [string, string][] {
  const list = Object.entries(headers);
  if (!list.some(([name]) => name === 'content-type')) {
    list.unshift(['content-type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json']);
  }
  return list;
}
