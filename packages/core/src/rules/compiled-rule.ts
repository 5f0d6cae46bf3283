import type { HeaderList } from '../http/headers';
import type { HeaderTemplate } from './header-template';
import type { JsonPath } from './json-path';

/** A rule ready for the request path: conditions as sets and patterns, templates and paths parsed. */
export interface CompiledRule {
  readonly name: string;
  readonly apis: ReadonlySet<string> | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly path: RegExp | undefined;
  /** Header conditions: lower-case name and a value, or `true` present / `false` absent. */
  readonly headers: readonly (readonly [name: string, condition: string | boolean])[];
  readonly claims: readonly (readonly [name: string, value: string | number | boolean])[];
  readonly profiles: ReadonlySet<string> | undefined;
  readonly deny: { readonly status: number; readonly headers: HeaderList; readonly body: string } | undefined;
  /** Lower-case names with their value templates. */
  readonly setHeaders: readonly (readonly [name: string, value: HeaderTemplate])[];
  /** Lower-case names. */
  readonly removeHeaders: readonly string[];
  readonly removeFields: readonly JsonPath[];
}

/** The rules of one config, split by when they act. */
export interface CompiledRules {
  /** Rules that deny or change requests, in config order. */
  readonly request: readonly CompiledRule[];
  /** Rules that change responses, in config order. */
  readonly response: readonly CompiledRule[];
}
