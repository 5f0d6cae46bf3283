import { CauseLogger, stderrLogger } from '../../telemetry/logger';
import type { BearerValidatorDeps } from './types';

/** Resolved dependencies shared by the parts of one validator. */
export interface ValidatorContext {
  /** Budget in ms for each outbound call. */
  readonly timeoutMs: number;
  /** Clock in ms. */
  readonly now: () => number;
  /** Upstream failures, logged once per cause per minute rather than once per request. */
  readonly failures: CauseLogger;
}

/**
 * Fills in defaults and checks the deps.
 * @param deps - what the caller passed
 */
export function createContext(deps: BearerValidatorDeps = {}): ValidatorContext {
  const timeoutMs = deps.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error('OAuth: `timeoutMs` must be a positive number');
  return {
    timeoutMs,
    now: deps.now ?? Date.now,
    failures: new CauseLogger(deps.logger ?? stderrLogger),
  };
}

/**
 * Parses a configured endpoint, refusing anything but http(s). The value is not echoed in the error:
 * URLs can carry credentials.
 * @param value - the configured URL
 * @param option - the option name, for the error message
 */
export function parseEndpoint(value: unknown, option: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new Error(`OAuth: \`${option}\` must be an absolute http(s) URL`);
  }
  return url;
}

/**
 * Checks a required non-empty string option.
 * @param value - the configured value
 * @param option - the option name, for the error message
 */
export function requireString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`OAuth: \`${option}\` must be a non-empty string`);
  return value;
}

/**
 * Normalizes an optional audience option to a list.
 * @param audience - a string, a list, or nothing
 */
export function audienceList(audience: string | readonly string[] | undefined): readonly string[] | undefined {
  if (audience === undefined) return undefined;
  const list = typeof audience === 'string' ? [audience] : [...audience];
  if (list.length === 0 || list.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new Error('OAuth: `audience` must be a non-empty string or a non-empty list of them');
  }
  return Object.freeze(list);
}

/**
 * The part of an endpoint that is safe to log: origin and path, never the query (tokeninfo carries the
 * token there) nor userinfo.
 * @param url - the endpoint
 */
export function endpointForLogs(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
