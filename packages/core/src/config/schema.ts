import { z } from 'zod';
import { hasControlCharacter } from '../auth/basic/credentials';
import { realmPattern } from '../auth/challenge';
import { jwtAlgorithms } from '../auth/oauth/algorithms';
import { isFieldValue } from '../http/fields';
import { type IpBlock, parseIpBlock } from '../net/ip';
import { type IpRange, parseIpRange } from '../net/ip-range-set';
import { hasHashTag } from '../ratelimit/redis-store';
import { mediaRangePattern } from '../sideband/pingauthorize/media-types';
import { type SecretContext, secretSchema } from './secrets';

/** Sideband connector names, as API `sideband` chains and `sideband.defaultChain` list them. */
export const sidebandConnectors = ['ase', 'pingauthorize'] as const;

/** Headers a PingAuthorize call sets itself, so the shared secret cannot travel in one of them. */
const reservedCallHeaders = new Set([
  'content-type',
  'content-length',
  'accept',
  'host',
  'connection',
  'transfer-encoding',
]);

type UrlPart = 'pathname' | 'search' | 'hash' | 'username' | 'password';

/** A part of a URL; `''` when the text is not a URL (the URL check reports that). */
function urlPart(text: string, part: UrlPart): string {
  try {
    return new URL(text)[part];
  } catch {
    return '';
  }
}

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

const ipRange = z.string().transform((text, ctx): IpRange => {
  const range = parseIpRange(text);
  if (typeof range === 'string') {
    ctx.addIssue({ code: 'custom', message: range });
    return z.NEVER;
  }
  return range;
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

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, { error: 'must be 1–64 letters, digits, spaces, ".", "_" or "-"' });

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name' })
  .transform((header) => header.toLowerCase());

const realm = z
  .string()
  .regex(realmPattern, { error: 'must be 1–128 printable characters without quotes or backslashes' });

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const audience = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'must be a scope token' });

const jwtChecks = {
  audience: audience.optional(),
  algorithms: z.array(z.enum(jwtAlgorithms)).min(1).optional(),
  clockToleranceSeconds: z.number().int().min(0).max(300).optional(),
};

function oauthProviderSchema(secret: ReturnType<typeof secretSchema>) {
  return z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('jwt'), issuer: z.string().min(1), jwksUri: httpUrl, ...jwtChecks }),
    z.strictObject({ kind: z.literal('oidc'), issuer: httpUrl, discoveryUrl: httpUrl.optional(), ...jwtChecks }),
    z.strictObject({
      kind: z.literal('introspection'),
      introspectionUrl: httpUrl,
      clientId: z.string().min(1),
      clientSecret: secret,
      issuer: z.string().min(1).optional(),
      audience: audience.optional(),
    }),
    z.strictObject({
      kind: z.literal('google'),
      clientId: z.string().min(1),
      tokenInfoUrl: httpUrl.optional(),
      issuer: z.string().min(1).optional(),
      jwksUri: httpUrl.optional(),
    }),
    z
      .strictObject({
        kind: z.literal('salesforce'),
        mode: z.enum(['introspection', 'jwt']),
        loginUrl: httpUrl.optional(),
        clientId: z.string().min(1),
        clientSecret: secret.optional(),
        audience: audience.optional(),
      })
      .refine((p) => p.mode !== 'introspection' || p.clientSecret !== undefined, {
        error: "introspection mode needs the connected app's clientSecret",
        path: ['clientSecret'],
      }),
  ]);
}

/**
 * Builds the configuration schema. Secret references are resolved while validating, from `context`.
 * @param context - where `{ "env" }` and `{ "file" }` secrets come from
 */
export function createConfigSchema(context: SecretContext) {
  const secret = secretSchema(context);

  const limit = z.strictObject({
    /** Most hits (cost units) per period. */
    limit: z.number().int().min(1).max(1_000_000_000),
    /** Period in seconds; one minute by default, as in the seed. */
    periodSeconds: z.number().int().min(1).max(86_400).default(60),
  });

  const common = {
    /** This profile's limit across every API it is assigned to; the org allowance applies on top. */
    rateLimit: limit.optional(),
    /** Client addresses this profile accepts: addresses, CIDR blocks, or `start-end` ranges. Empty: any. */
    ipRanges: z.array(ipRange).default([]),
    /** A request header whose value, when present, is the audit identity instead of the authenticated one. */
    auditHeader: headerName.optional(),
  };

  const basicUser = z
    .strictObject({
      username: z
        .string()
        .min(1, { error: 'must not be empty' })
        .refine((u) => !u.includes(':') && !hasControlCharacter(u), {
          error: 'must not contain ":" or control characters (RFC 7617)',
        }),
      password: secret.optional(),
      passwordHash: secret.optional(),
    })
    .refine((u) => (u.password === undefined) !== (u.passwordHash === undefined), {
      error: 'give exactly one of "password" and "passwordHash"',
    });

  const profile = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('anonymous'), ...common }),
    z.strictObject({
      type: z.literal('basic'),
      realm: realm.optional(),
      users: z.array(basicUser).min(1, { error: 'a Basic profile needs at least one user' }),
      ...common,
    }),
    z.strictObject({
      type: z.literal('oauth2'),
      realm: realm.optional(),
      provider: oauthProviderSchema(secret),
      /** Scopes every token must carry; a token without them gets 403 insufficient_scope. */
      requiredScopes: z.array(scope).default([]),
      /** Claim used as the audit identity. */
      identityClaim: z.string().min(1).default('sub'),
      ...common,
    }),
  ]);

  const api = z.strictObject({
    /** Unique name, used in logs, audit events and errors. */
    name,
    /** Hostname the API serves; omit to serve every host. */
    host: hostname.optional(),
    /** Path prefix, matched on segment boundaries. */
    basePath,
    /** Environment the API lives in; its profiles must belong to it. */
    environment: name.optional(),
    /** Security profiles, by name, from the API's environment. None: anonymous and public (see `defaultAccess`). */
    profiles: z.array(name).default([]),
    /** Require TLS: `redirect` plain HTTP to https (308) or `reject` it (403). */
    sslOnly: z.enum(['redirect', 'reject']).optional(),
    /** Rate-limit units one hit on this API costs. */
    rateLimitCost: z.number().int().min(1).max(1_000_000).default(1),
    /** Sideband connectors for this API, in the order they run; default: `sideband.defaultChain`. */
    sideband: z.array(z.enum(sidebandConnectors)).optional(),
  });

  const headerNames = z.array(headerName).default([]);
  const tls = z.strictObject({
    /** Extra CAs, PEM or DER (.pem, .crt, .cer). */
    caFiles: z.array(z.string().min(1)).optional(),
    /** Client certificate and key (PEM) for mutual TLS. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    passphrase: secret.optional(),
    /** Verify the engine's certificate; turning it off is logged at startup. */
    rejectUnauthorized: z.boolean().default(true),
  });

  const ase = z.strictObject({
    /** Base URLs, primary first: `https://ase-1:8443`, `https://ase-2:8443`. */
    endpoints: z.array(httpUrl).min(1, { error: 'list at least one ASE endpoint' }),
    /** The sideband token, sent as `ASE-Token`. */
    token: secret.optional(),
    timeoutMs: z.number().int().min(1).max(60_000).default(500),
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(500),
    /** Keep-alive connections per endpoint. */
    connections: z.number().int().min(1).max(1024).default(16),
    tls: tls.optional(),
    /** After the primary failed, traffic returns to it after this long. */
    recoveryCooldownSeconds: z.number().int().min(1).max(3600).default(30),
    /** Optional active health checks (`GET {base}/ase`). */
    healthCheck: z.strictObject({ intervalSeconds: z.number().int().min(1).max(3600).default(10) }).optional(),
    /** ASE unreachable: `open` lets requests through, `closed` answers 502. */
    failMode: z.enum(['open', 'closed']).default('open'),
    /** ASE answered 400/401/503: `allow` (log once per cause) or `strict` (502, or 503 for 503). */
    integrationErrors: z.enum(['allow', 'strict']).default('allow'),
    /**
     * Response metadata to `/ase/response`: in the `background` after the client's answer, `awaited`
     * (the client's answer waits until ASE has it, bounded by timeoutMs), or `off`.
     */
    responsePhase: z.enum(['background', 'awaited', 'off']).default('background'),
    headers: z
      .strictObject({
        /** `deny`: every header but `list`; `allow`: only `list` (and `host`). */
        mode: z.enum(['allow', 'deny']).default('deny'),
        list: headerNames,
        /** Headers sent as a keyed SHA-256 of their value. */
        redact: headerNames,
        /** Send `cookie` and `authorization` as they are (ASE can recognise clients by them). */
        sendCredentials: z.boolean().default(false),
        /** Key for redaction; set it so hashes stay the same across restarts and gateways. */
        redactionKey: secret.optional(),
        maxHeaders: z.number().int().min(1).max(1000).default(100),
        maxBytes: z.number().int().min(256).max(1_048_576).default(16_384),
      })
      .default({ mode: 'deny', list: [], redact: [], sendCredentials: false, maxHeaders: 100, maxBytes: 16_384 }),
  });

  const pingAuthorizeEndpoint = httpUrl
    .refine((url) => !/\/sideband(?:\/|$)/i.test(urlPart(url, 'pathname')), {
      error:
        'must be the base URL without "/sideband" (e.g. "https://pingauthorize:8443"); Sideguard adds /sideband/request and /sideband/response',
    })
    .refine((url) => (['search', 'hash', 'username', 'password'] as const).every((part) => urlPart(url, part) === ''), {
      error: 'must not contain credentials, a query or a fragment',
    });
  const mediaRange = z
    .string()
    .transform((range) => range.trim().toLowerCase())
    .refine((range) => mediaRangePattern.test(range), {
      error: 'must be a media type such as "application/json", "text/*" or "application/*+json"',
    });
  // Text types a policy can read: the default for request and response bodies sent to the engine.
  const textTypes = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'text/*'];
  const oneMiB = 1024 * 1024;
  const bodyBytes = z
    .number()
    .int()
    .min(1)
    .max(64 * oneMiB)
    .default(oneMiB);

  const pingAuthorize = z.strictObject({
    /** Base URLs, primary first, without `/sideband`: `https://pingauthorize-1:8443`. */
    endpoints: z.array(pingAuthorizeEndpoint).min(1, { error: 'list at least one PingAuthorize endpoint' }),
    /**
     * The shared secret the server accepts (PingAuthorize "Sideband API Shared Secrets", PingOne
     * gateway credential). It travels as a header value, so it is checked as one once resolved: a
     * stray newline from an environment variable would otherwise fail every call. Messages never
     * include the value.
     */
    sharedSecret: secret
      .refine(isFieldValue, {
        error: 'must be usable as a header value: no control characters (such as a newline) and Latin-1 only',
        abort: true,
      })
      .refine((value) => value.trim() === value, { error: 'must not begin or end with whitespace' }),
    /** Header carrying the secret; must match the server's `shared-secret-header-name`. */
    sharedSecretHeader: headerName
      .refine((header) => !reservedCallHeaders.has(header), { error: 'must not be a header the call itself uses' })
      .prefault('CLIENT-TOKEN'),
    /** Time for one sideband call, retry included. */
    timeoutMs: z.number().int().min(1).max(60_000).default(10_000),
    /** TCP + TLS connect time; kept below timeoutMs so a dead primary leaves time to try the next endpoint. */
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(2_000),
    /** How long idle connections stay open. */
    keepAliveMs: z.number().int().min(1).max(600_000).default(60_000),
    /** Keep-alive connections per endpoint. */
    connections: z.number().int().min(1).max(1024).default(64),
    tls: tls.optional(),
    /** After the primary failed, traffic returns to it after this long. */
    recoveryCooldownSeconds: z.number().int().min(1).max(3600).default(30),
    /** Engine unreachable, 5xx or unusable reply: `closed` answers 502, `open` lets the request or response through. */
    failMode: z.enum(['open', 'closed']).default('closed'),
    requestBody: z
      .strictObject({
        /**
         * Bodies of these media types are sent to the engine; others are forwarded without it seeing
         * them. They must be UTF-8 (charset `utf-8`, `us-ascii` or none): others get 415.
         */
        contentTypes: z.array(mediaRange).default(textTypes),
        /** Larger bodies of those types get 413; they are never sent cut short. */
        maxBytes: bodyBytes,
      })
      .prefault({}),
    /** Most request header lines; requests with more get 431 (headers are never cut short). */
    maxHeaders: z.number().int().min(1).max(10_000).default(200),
    /** Send responses to `/sideband/response`, whose reply replaces them. */
    responsePhase: z.boolean().default(true),
    /**
     * What the response phase sends about the request: the engine's `state`, the original `request`
     * payload, or `none`; `auto` sends `state` when the engine gave one, else `request`.
     */
    requestContext: z.enum(['auto', 'state', 'request', 'none']).default('auto'),
    responseBody: z
      .strictObject({
        /**
         * Bodies of these media types are sent to the engine when they are UTF-8 text; others are left
         * out of the payload (policies cannot see or change them) and go to the client as they were,
         * unless the reply changes the status or headers or supplies a body.
         */
        contentTypes: z.array(mediaRange).default(textTypes),
        /** Larger responses are not sent: 502 when failMode is closed, else passed on unjudged. */
        maxBytes: bodyBytes,
      })
      .prefault({}),
    /** Send the validated OAuth token's claims as `access_token` (External API Gateway token validator). */
    sendAccessToken: z.boolean().default(false),
  });

  const headerValue = z
    .string()
    .max(8192)
    .refine(isFieldValue, { error: 'must be a valid header value (no control characters, Latin-1 only)' });
  const rule = z
    .strictObject({
      /** Unique name, used in logs and to find the rule again in a response phase. */
      name,
      /** When the rule applies; every condition given must hold. No conditions: every matched request. */
      match: z
        .strictObject({
          /** API names; default: every API. */
          apis: z.array(name).min(1).optional(),
          /** Methods, upper case. */
          methods: z
            .array(z.string().regex(/^[A-Z]+$/, { error: 'must be an upper-case HTTP method' }))
            .min(1)
            .optional(),
          /** Path pattern: `*` matches one segment, `**` any number; compared like base paths. */
          path: z
            .string()
            .refine((pattern) => pattern.startsWith('/'), { error: 'must start with "/"' })
            .optional(),
          /** Header conditions: a value (any of the header's values equals it), `true` present, `false` absent. */
          headers: z.record(headerName, z.union([z.string(), z.boolean()])).optional(),
          /** Token claims (OAuth profiles): equal to the value or, for lists and scope strings, containing it. */
          claims: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
          /** Names of the profiles that admitted the request. */
          profiles: z.array(name).min(1).optional(),
        })
        .default({}),
      /** Answer the request with this response; it never reaches the app. */
      deny: z
        .strictObject({
          status: z.number().int().min(400).max(599).default(403),
          /** A string, or a value sent as JSON. Default: `{"error":"rule-denied","message":"Access denied."}`. */
          body: z.unknown().optional(),
          headers: z.record(headerName, headerValue).default({}),
        })
        .optional(),
      /** Change the request before the app sees it. */
      request: z
        .strictObject({
          /**
           * Set headers (replacing any the client sent). Values may use `{identity}`, `{principal}`,
           * `{profile}`, `{api}`, `{clientIp}`, `{exchangeId}` and `{claim:NAME}`; a header whose
           * variable has no value is removed instead.
           */
          setHeaders: z.record(headerName, headerValue).default({}),
          removeHeaders: z.array(headerName).default([]),
        })
        .optional(),
      /** Change the response before the client sees it. */
      response: z
        .strictObject({
          /** JSON paths removed from JSON response bodies: `$.a.b`, `$.items[*].ssn`, `$..password`. */
          removeFields: z.array(z.string().min(1)).min(1),
        })
        .optional(),
    })
    .refine((r) => (r.deny === undefined) !== (r.request === undefined && r.response === undefined), {
      error: 'give either "deny", or "request" and/or "response"',
    });

  return z.strictObject({
    /** Environments (e.g. development, production), each with its own named security profiles. */
    environments: z.record(name, z.strictObject({ profiles: z.record(name, profile).default({}) })).default({}),
    apis: z.array(api).default([]),
    /** APIs with no profile: `allow` (public, with a startup warning) or `deny` (401). */
    defaultAccess: z.enum(['allow', 'deny']).default('allow'),
    /** What happens to requests that match no API: `pass` (untouched) or `deny` (404). */
    unmatched: z.enum(['pass', 'deny']).default('pass'),
    routing: z
      .strictObject({
        /** Compare base paths case-sensitively. Off by default: a differently-cased path must not escape its API. */
        caseSensitive: z.boolean().default(false),
      })
      .default({ caseSensitive: false }),
    authentication: z
      .strictObject({
        /** Lock a username or client address out after repeated Basic failures; `false` turns it off. */
        bruteForce: z
          .union([
            z.literal(false),
            z.strictObject({
              maxFailures: z.number().int().min(1).default(10),
              windowSeconds: z.number().int().min(1).default(60),
              lockoutSeconds: z.number().int().min(1).default(300),
            }),
          ])
          .default({ maxFailures: 10, windowSeconds: 60, lockoutSeconds: 300 }),
        /** Successful Basic verifications kept, so a slow hash is paid once per credential, not per request. */
        cache: z
          .strictObject({
            maxEntries: z.number().int().min(1).max(1_000_000).default(10_000),
            ttlSeconds: z.number().int().min(1).max(86_400).default(300),
          })
          .default({ maxEntries: 10_000, ttlSeconds: 300 }),
      })
      .default({
        bruteForce: { maxFailures: 10, windowSeconds: 60, lockoutSeconds: 300 },
        cache: { maxEntries: 10_000, ttlSeconds: 300 },
      }),
    rateLimits: z
      .strictObject({
        /** The org allowance: every admitted hit on every API counts against it. */
        org: limit.optional(),
        /** An extra limit per consumer: per audit identity, or per client address (IPv6 by prefix). */
        consumer: z
          .strictObject({
            by: z.enum(['identity', 'ip']),
            limit: limit.shape.limit,
            periodSeconds: limit.shape.periodSeconds,
            ipv6Prefix: z.number().int().min(1).max(128).default(64),
          })
          .optional(),
        /** `fixed` windows aligned to the period (the seed's minute), or a `sliding` window counter. */
        algorithm: z.enum(['fixed', 'sliding']).default('fixed'),
        store: z
          .discriminatedUnion('type', [
            z.strictObject({
              type: z.literal('memory'),
              maxKeys: z.number().int().min(100).max(10_000_000).default(100_000),
            }),
            z.strictObject({
              type: z.literal('redis'),
              /** Key prefix; must hold a `{…}` hash tag so one script's keys share a Redis Cluster slot. */
              keyPrefix: z
                .string()
                .refine(hasHashTag, { error: 'must contain a non-empty {hash tag}, e.g. "sideguard:{rl}:"' })
                .optional(),
              /** Longest wait for Redis per decision, ms. */
              timeoutMs: z.number().int().min(1).max(10_000).default(100),
            }),
          ])
          .default({ type: 'memory', maxKeys: 100_000 }),
        /** When the store is down: fail `open`, fail `closed` (503), or count in `memory` on this gateway. */
        onStoreError: z.enum(['open', 'closed', 'memory']).default('memory'),
        headers: z
          .strictObject({
            /** Send `RateLimit` / `RateLimit-Policy` on every response of a limited API. */
            enabled: z.boolean().default(true),
            /** Which draft of draft-ietf-httpapi-ratelimit-headers to follow. */
            draft: z.enum(['draft-08', 'draft-07', 'draft-06']).default('draft-08'),
            /** Also send `X-RateLimit-Limit`, `-Remaining`, `-Reset`. */
            legacy: z.boolean().default(false),
          })
          .default({ enabled: true, draft: 'draft-08', legacy: false }),
        /** Secret for hashing consumer partitions (client addresses, identities) in counter keys and headers. */
        partitionSecret: secret.optional(),
      })
      .default({
        algorithm: 'fixed',
        store: { type: 'memory', maxKeys: 100_000 },
        onStoreError: 'memory',
        headers: { enabled: true, draft: 'draft-08', legacy: false },
      }),
    sideband: z
      .strictObject({
        /** PingIntelligence ASE (AI threat detection). */
        ase: ase.optional(),
        /** PingAuthorize / PingOne Authorize Sideband API (policy decisions that may rewrite requests and responses). */
        pingAuthorize: pingAuthorize.optional(),
        /** Connectors for APIs that name none; default: every configured connector. */
        defaultChain: z.array(z.enum(sidebandConnectors)).optional(),
      })
      .default({}),
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
        /** Most response-body bytes held for response rules; a longer response gets 502 instead. */
        maxResponseBytes: z
          .number()
          .int()
          .positive()
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
      })
      .default({ maxBytes: 1024 * 1024, maxResponseBytes: 1024 * 1024 }),
    /**
     * Declarative policies, in order: the first matching `deny` answers; every matching `request` rule
     * changes the request; every matching `response` rule changes the response.
     */
    rules: z.array(rule).default([]),
    /** When a stage fails unexpectedly: `closed` answers 500, `open` lets the request through. */
    onError: z.enum(['closed', 'open']).default('closed'),
  });
}

/** The schema with secrets resolved against the working directory and `process.env`. */
export const configSchema = createConfigSchema({ baseDir: process.cwd(), env: process.env });

/** Configuration as written by users (defaults optional, secrets as values or references). */
export type SideguardConfigInput = z.input<typeof configSchema>;

/** Configuration after validation: defaults applied, secrets resolved. */
export type SideguardConfig = z.output<typeof configSchema>;

/** One security profile after validation. */
export type ProfileConfig = SideguardConfig['environments'][string]['profiles'][string];

/** OAuth 2.0 provider settings after validation. */
export type OAuthProviderConfig = Extract<ProfileConfig, { type: 'oauth2' }>['provider'];
