import { z } from 'zod';
import { type IpBlock, parseIpBlock } from '../net/ip';

/** Named address sets accepted in `trustedProxies.addresses`. */
export const proxyPresets: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

const ipBlocks = z.string().transform((text, ctx): IpBlock[] => {
  const preset = proxyPresets[text];
  const blocks: IpBlock[] = [];
  for (const entry of preset ?? [text]) {
    const block = parseIpBlock(entry);
    if (typeof block === 'string') {
      ctx.addIssue({ code: 'custom', message: block });
      return z.NEVER;
    }
    blocks.push(block);
  }
  return blocks;
});

const hostname = z
  .string()
  .transform((host) => host.toLowerCase().replace(/\.$/, ''))
  .refine(
    (host) => /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host),
    {
      error: 'must be a hostname without scheme, port or path (e.g. "api.example.com")',
    },
  );

const basePath = z
  .string()
  .refine((path) => path.startsWith('/'), { error: 'must start with "/"' })
  .refine((path) => !/[?#\s]/.test(path), { error: 'must not contain "?", "#" or white space' })
  .refine((path) => !path.includes('//') && !/\/\.\.?(?:\/|$)/.test(path), {
    error: 'must not contain empty, "." or ".." segments',
  })
  .transform((path) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path));

/** One API: a host (optional) and base path that Sideguard protects. */
export const apiSchema = z.strictObject({
  /** Unique name, used in logs, audit events and errors. */
  name: z.string().min(1, { error: 'must not be empty' }),
  /** Hostname the API serves; omit to serve every host. */
  host: hostname.optional(),
  /** Path prefix, matched on segment boundaries. */
  basePath,
});

/** The whole Sideguard configuration. */
export const configSchema = z.strictObject({
  apis: z.array(apiSchema).default([]),
  /** What happens to requests that match no API: `pass` (untouched) or `deny` (404). */
  unmatched: z.enum(['pass', 'deny']).default('pass'),
  routing: z
    .strictObject({
      /** Compare base paths case-sensitively. Off by default: a differently-cased path must not escape its API. */
      caseSensitive: z.boolean().default(false),
    })
    .default({ caseSensitive: false }),
  /** Proxies whose forwarding headers are believed. Nobody is trusted by default. */
  trustedProxies: z
    .strictObject({
      /** Addresses, CIDR blocks, or the presets `loopback`, `private`, `linklocal`. */
      addresses: z.array(ipBlocks).min(1, { error: 'list at least one address or block' }),
      /** The one forwarding header these proxies write; the other is ignored. */
      header: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for'),
    })
    .optional(),
  body: z
    .strictObject({
      /** Most request-body bytes buffered for inspection; longer bodies get 413. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .default({ maxBytes: 1024 * 1024 }),
  /** When a stage fails unexpectedly: `closed` answers 500, `open` lets the request through. */
  onError: z.enum(['closed', 'open']).default('closed'),
});

/** Configuration as written by users (defaults optional). */
export type SideguardConfigInput = z.input<typeof configSchema>;

/** Configuration after validation, defaults applied. */
export type SideguardConfig = z.output<typeof configSchema>;
