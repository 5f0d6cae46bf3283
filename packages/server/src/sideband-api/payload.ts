import { isIP } from 'node:net';
import { formatConfigPath, type HeaderList } from '@sideguard/core';
import { z } from 'zod';

/** An absolute client-facing URL split the way the request phase needs it. */
export interface PayloadUrl {
  /** The URL exactly as sent. */
  readonly text: string;
  readonly scheme: 'http' | 'https';
  /** `host[:port]` as sent. */
  readonly authority: string;
  /** Origin-form target: the raw path and query, untouched (`/` when the URL has no path). */
  readonly target: string;
}

/** Messages that say "is required" for a missing field and what is expected otherwise. */
function expected(what: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) };
}

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headerList = z
  .array(
    // An object with several keys is read as that many entries, in order; nested arrays and non-strings fail.
    z
      .record(
        z.string(),
        z
          .string(expected('a string'))
          .refine((value) => !/[\0\r\n]/.test(value), { error: 'must not contain CR, LF or NUL' }),
        expected('an object of one header name and its value'),
      )
      .superRefine((entry, ctx) => {
        for (const name of Object.keys(entry)) {
          if (!token.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not an HTTP header name' });
        }
      }),
    expected('an array of {"name": "value"} objects'),
  )
  .transform((entries): HeaderList => entries.flatMap((entry) => Object.entries(entry)));

const absoluteUrl = z.string(expected('a string')).transform((text, ctx): PayloadUrl => {
  const match = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(text);
  let valid = match !== null;
  try {
    if (valid) valid = new URL(text).hostname !== '';
  } catch {
    valid = false;
  }
  if (!valid || match === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    return z.NEVER;
  }
  const authority = match[2] as string;
  if (authority.includes('@')) {
    ctx.addIssue({ code: 'custom', message: 'must not contain user information' });
    return z.NEVER;
  }
  const rest = match[3] as string;
  return {
    text,
    scheme: (match[1] as string).toLowerCase() as PayloadUrl['scheme'],
    authority,
    target: rest.startsWith('/') ? rest : `/${rest}`,
  };
});

const method = z.string(expected('a string')).regex(token, { error: 'must be an HTTP method' });

/**
 * A whole number in a range, given as a number or a string of digits (gateways send either).
 * @param min - smallest allowed
 * @param max - largest allowed
 * @param what - what it is, for the error message
 */
function numeric(min: number, max: number, what: string) {
  const message = `must be ${what} ${min}–${max} (number or numeric string)`;
  return z.union([z.number(), z.string()], expected(`${what} ${min}–${max}`)).transform((value, ctx) => {
    const number = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isInteger(number) && number >= min && number <= max) return number;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
}

/** The request-phase body (protocol §2.1); unknown fields are ignored. */
export const requestPayloadSchema = z.object({
  source_ip: z.string(expected('a string')).refine((ip) => isIP(ip) !== 0, { error: 'must be an IP address' }),
  // 0 is accepted and means "unknown", as in the core's model; Ping's own examples never send it.
  source_port: numeric(0, 65_535, 'a port number'),
  method,
  url: absoluteUrl,
  http_version: z.string(expected('a string')).regex(/^\d(\.\d)?$/, { error: 'must be an HTTP version like "1.1"' }),
  headers: headerList,
  body: z.string(expected('a string')).optional(),
  client_certificate: z.record(z.string(), z.unknown(), expected('an object (JWK with x5c)')).optional(),
  access_token: z.record(z.string(), z.unknown(), expected('an object of token claims')).optional(),
});

/** A validated request-phase body. */
export type RequestPayload = z.output<typeof requestPayloadSchema>;

/** The response-phase body (protocol §3.1): the upstream response plus `state` or `request`, or neither. */
export const responsePayloadSchema = z
  .object({
    response_code: numeric(100, 599, 'an HTTP status'),
    response_status: z.string(expected('a string')),
    http_version: z.string(expected('a string')).optional(),
    headers: headerList,
    body: z.string(expected('a string')).optional(),
    method: method.optional(),
    url: absoluteUrl.optional(),
    state: z.string(expected('a string')).min(1, { error: 'must not be empty' }).optional(),
    request: requestPayloadSchema.optional(),
  })
  .refine((payload) => payload.state === undefined || payload.request === undefined, {
    error: 'give "state" or "request", not both',
    path: ['state'],
  });

/** A validated response-phase body. */
export type ResponsePayload = z.output<typeof responsePayloadSchema>;

/**
 * Validates a parsed body.
 * @param schema - the phase's schema
 * @param body - the parsed JSON
 * @returns the payload, or a message naming the first few bad fields (never their values)
 */
export function parsePayload<T>(schema: z.ZodType<T>, body: unknown): T | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  return result.error.issues
    .slice(0, 5)
    .map(
      (issue) =>
        `${formatConfigPath(issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)))}: ${issue.message}`,
    )
    .join('; ');
}
