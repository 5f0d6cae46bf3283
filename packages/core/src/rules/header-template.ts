import { isFieldValue } from '../http/fields';

/** Facts a header template can name. */
export interface TemplateFacts {
  readonly identity: string | undefined;
  readonly principal: string | undefined;
  readonly profile: string | undefined;
  readonly api: string | undefined;
  readonly clientIp: string;
  readonly exchangeId: string;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

type Part = string | { readonly fact: Exclude<keyof TemplateFacts, 'claims'> } | { readonly claim: string };

/** A header value with `{variables}`, parsed once at config load. */
export interface HeaderTemplate {
  readonly parts: readonly Part[];
}

const facts = new Set(['identity', 'principal', 'profile', 'api', 'clientIp', 'exchangeId']);

/**
 * Parses a header value template such as `user={identity}; sub={claim:sub}`.
 * @param text - the template
 * @returns the template, or a message naming the unknown variable
 */
export function parseHeaderTemplate(text: string): HeaderTemplate | string {
  const parts: Part[] = [];
  const pattern = /\{([^{}]*)\}/g;
  let last = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const name = match[1] as string;
    if (name.startsWith('claim:') && name.length > 6) parts.push({ claim: name.slice(6) });
    else if (facts.has(name)) parts.push({ fact: name as Exclude<keyof TemplateFacts, 'claims'> });
    else
      return `unknown variable "{${name}}"; use {identity}, {principal}, {profile}, {api}, {clientIp}, {exchangeId} or {claim:NAME}`;
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return { parts };
}

/**
 * Fills a template. `undefined` when a variable has no value, or when a value would make the header
 * invalid (a claim with a line break must not smuggle a header in).
 * @param template - from {@link parseHeaderTemplate}
 * @param values - the exchange's facts
 */
export function renderHeaderTemplate(template: HeaderTemplate, values: TemplateFacts): string | undefined {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = 'claim' in part ? claimText(values.claims?.[part.claim]) : values[part.fact];
    if (value === undefined || !isFieldValue(value)) return undefined;
    out += value;
  }
  return out;
}

function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(' ');
  return undefined;
}
