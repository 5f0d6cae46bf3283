import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  ConfigError,
  createGuard,
  type GatewayRequestInit,
  type Logger,
  withRequestChanges,
} from '../src/index';

function init(target: string, extra: Partial<GatewayRequestInit> = {}): GatewayRequestInit {
  return {
    method: 'GET',
    target,
    httpVersion: '1.1',
    headers: [['Host', 'api.example.com']],
    remoteAddress: '::ffff:192.0.2.10',
    remotePort: 50000,
    encrypted: false,
    ...extra,
  };
}

function recordingLogger() {
  const entries: { level: string; context: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (context: Record<string, unknown>, message: string): void => {
      entries.push({ level, context, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

const apis = [
  { name: 'orders', basePath: '/orders' },
  { name: 'admin', basePath: '/admin' },
  { name: 'public', basePath: '/public' },
];

describe('guard', () => {
  it('continues matched requests with the API on the exchange', async () => {
    const guard = createGuard({ apis });
    const decision = await guard.handleRequest(init('/orders/42?expand=1'));
    expect(decision).toMatchObject({ action: 'continue', reason: 'allowed' });
    expect(decision.exchange.api).toEqual({ name: 'orders', host: undefined, basePath: '/orders' });
    expect(decision.exchange.request).toMatchObject({
      path: '/orders/42',
      query: 'expand=1',
      host: 'api.example.com',
      clientIp: '192.0.2.10',
      scheme: 'http',
    });
    expect(decision.exchange.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(decision.exchange.id).toBe(decision.exchange.id);
  });

  it('passes unmatched requests untouched by default and answers 404 when told to deny', async () => {
    const passing = await createGuard({ apis }).handleRequest(init('/elsewhere'));
    expect(passing).toMatchObject({ action: 'continue', reason: 'unmatched' });
    expect(passing.exchange.api).toBeUndefined();

    const denying = await createGuard({ apis, unmatched: 'deny' }).handleRequest(init('/elsewhere'));
    expect(denying).toMatchObject({ action: 'respond', reason: 'unmatched', status: 404 });
    if (denying.action !== 'respond') throw new Error('expected respond');
    expect(JSON.parse(denying.body)).toEqual({ error: 'unmatched', message: 'No API serves this path.' });
    expect(denying.headers).toEqual([['content-type', 'application/json; charset=utf-8']]);
  });

  it('refuses paths whose normalized form selects another API', async () => {
    const guard = createGuard({ apis });
    for (const target of ['/public/../admin', '/public/%2e%2e/admin/users', '//admin']) {
      expect(await guard.handleRequest(init(target)), target).toMatchObject({
        action: 'respond',
        status: 400,
        reason: 'ambiguous-path',
      });
    }
    // Dot segments that stay inside the same API are harmless.
    expect(await guard.handleRequest(init('/orders/a/../b'))).toMatchObject({ action: 'continue', reason: 'allowed' });
  });

  it('refuses requests that name their host ambiguously', async () => {
    const guard = createGuard({ apis: [{ name: 'admin', host: 'api.example.com', basePath: '/admin' }] });
    const ambiguous = [
      init('http://other.example/admin', { headers: [['Host', 'api.example.com']] }),
      init('/admin', { headers: [['Host', 'api.example.com:1@evil']] }),
      init('/admin', { headers: [['Host', 'api.example.com:https']] }),
      init('/admin', {
        headers: [
          ['Host', 'api.example.com'],
          ['Host', 'other.example'],
        ],
      }),
    ];
    for (const request of ambiguous) {
      expect(await guard.handleRequest(request), request.target).toMatchObject({
        status: 400,
        reason: 'ambiguous-host',
      });
    }
    const absolute = await guard.handleRequest(
      init('http://API.example.com:80/admin', { headers: [['Host', 'api.example.com']] }),
    );
    expect(absolute).toMatchObject({ action: 'continue', exchange: { api: { name: 'admin' } } });
  });

  it('matches differently-cased paths to their API by default', async () => {
    const decision = await createGuard({ apis, unmatched: 'deny' }).handleRequest(init('/ADMIN/users'));
    expect(decision.exchange.api?.name).toBe('admin');
  });

  it('turns an internal failure into a 500 decision, logged once per cause', async () => {
    const { logger, entries } = recordingLogger();
    const guard = createGuard({ apis }, { logger });
    const broken = init('/orders');
    Object.defineProperty(broken, 'headers', {
      get() {
        throw new TypeError('adapter bug');
      },
    });
    for (let i = 0; i < 3; i++) {
      expect(await guard.handleRequest(broken)).toMatchObject({ action: 'respond', status: 500, reason: 'error' });
    }
    const errors = entries.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.context).toMatchObject({
      cause: 'request:unexpected',
      err: { type: 'TypeError', message: 'adapter bug' },
    });
  });

  it('lets the request through on internal failure when failing open', async () => {
    const { logger } = recordingLogger();
    const broken = init('/orders');
    Object.defineProperty(broken, 'headers', {
      get() {
        throw new Error('adapter bug');
      },
    });
    const decision = await createGuard({ apis, onError: 'open' }, { logger }).handleRequest(broken);
    expect(decision).toMatchObject({ action: 'continue', reason: 'error-fail-open' });
  });

  it('never rejects, even when the logger throws', async () => {
    const throwing = () => {
      throw new Error('logger down');
    };
    // defaultAccess "deny": no startup warnings, so the throwing logger is first called on the request path.
    const guard = createGuard(
      { apis, defaultAccess: 'deny' },
      { logger: { debug: throwing, info: throwing, warn: throwing, error: throwing } },
    );
    const broken = init('/orders');
    Object.defineProperty(broken, 'headers', { get: throwing });
    await expect(guard.handleRequest(broken)).resolves.toMatchObject({ action: 'respond', status: 500 });
  });

  it('audits matched exchanges when they finish, and survives a throwing sink', async () => {
    const events: AuditEvent[] = [];
    let clock = 1000;
    const guard = createGuard(
      { apis },
      {
        now: () => clock,
        onAudit: (event) => events.push(event),
      },
    );
    const decision = await guard.handleRequest(
      init('/orders/1', { method: 'POST', headers: [['content-length', '12']] }),
    );
    clock += 25;
    const response = { status: 201, headers: [], bodyBytes: 7 };
    expect(await guard.handleResponse(decision.exchange, response)).toBe(response);
    expect(events).toEqual([
      {
        exchangeId: decision.exchange.id,
        api: 'orders',
        profile: undefined,
        identity: 'Anonymous',
        clientIp: '192.0.2.10',
        method: 'POST',
        path: '/orders/1',
        status: 201,
        decision: 'continue',
        reason: 'allowed',
        latencyMs: 25,
        requestBytes: 12,
        responseBytes: 7,
      },
    ]);

    const unmatched = await guard.handleRequest(init('/nowhere'));
    await guard.handleResponse(unmatched.exchange, response);
    expect(events).toHaveLength(1);

    const { logger, entries } = recordingLogger();
    const fragile = createGuard(
      { apis },
      {
        logger,
        onAudit: () => {
          throw new Error('sink full');
        },
      },
    );
    const d = await fragile.handleRequest(init('/orders'));
    await expect(fragile.handleResponse(d.exchange, response)).resolves.toBe(response);
    expect(entries.find((e) => e.level === 'error')?.context).toMatchObject({ cause: 'audit:sink' });
  });

  it('reloads atomically: bad configs leave the old one, in-flight exchanges keep theirs', async () => {
    const { logger, entries } = recordingLogger();
    const guard = createGuard({ apis: [{ name: 'v1', basePath: '/v1' }], unmatched: 'deny' }, { logger });
    const before = await guard.handleRequest(init('/v1'));

    expect(() => guard.reload({ apis: [{ name: 'v2', basePath: 'v2' }] })).toThrow(ConfigError);
    expect(entries.at(-1)?.level).toBe('error');
    expect(guard.apis.map((a) => a.name)).toEqual(['v1']);

    guard.reload({ apis: [{ name: 'v2', basePath: '/v2' }], unmatched: 'deny' });
    expect(guard.apis.map((a) => a.name)).toEqual(['v2']);
    expect(await guard.handleRequest(init('/v1'))).toMatchObject({ action: 'respond', status: 404 });
    expect(await guard.handleRequest(init('/v2/x'))).toMatchObject({ action: 'continue', reason: 'allowed' });
    expect(before.exchange.api?.name).toBe('v1');
  });

  it('keeps every exchange to itself under concurrency', async () => {
    const guard = createGuard({ apis });
    const decisions = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        guard.handleRequest(init(`/orders/${i}`, { remoteAddress: `10.0.${i >> 8}.${i & 255}` })),
      ),
    );
    decisions.forEach((decision, i) => {
      expect(decision.exchange.request.path).toBe(`/orders/${i}`);
      expect(decision.exchange.request.clientIp).toBe(`10.0.${i >> 8}.${i & 255}`);
    });
    expect(new Set(decisions.map((d) => d.exchange.id)).size).toBe(1000);
  });

  it('makes changed copies of a request without touching the original', async () => {
    const { exchange } = await createGuard({ apis }).handleRequest(init('/orders/1?a=b'));
    const changed = withRequestChanges(exchange.request, { url: '/orders/2?c=d', headers: [['X-User', 'alice']] });
    expect(changed).toMatchObject({ path: '/orders/2', query: 'c=d', url: '/orders/2?c=d', method: 'GET' });
    expect(changed.headers).toEqual([['X-User', 'alice']]);
    expect(exchange.request.url).toBe('/orders/1?a=b');
  });
});

describe('guard reload with profiles', () => {
  const config = (password: string, maxFailures = 2) => ({
    environments: { prod: { profiles: { staff: { type: 'basic' as const, users: [{ username: 'ann', password }] } } } },
    apis: [{ name: 'staff', basePath: '/staff', environment: 'prod', profiles: ['staff'] }],
    authentication: { bruteForce: { maxFailures, windowSeconds: 60, lockoutSeconds: 60 } },
  });
  // A new client address every time, so only the per-username lockout can be what answers 429.
  let client = 0;
  const login = (password: string): GatewayRequestInit =>
    init('/staff', {
      headers: [['Authorization', `Basic ${Buffer.from(`ann:${password}`).toString('base64')}`]],
      remoteAddress: `198.51.100.${++client}`,
    });

  it('counts concurrent guesses before verifying them', async () => {
    const guard = createGuard(config('right', 5));
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => guard.handleRequest(login(`wrong${i}`))));
    const statuses = decisions.map((d) => (d.action === 'respond' ? d.status : 200));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
  });

  it('lets a burst of identical logins share one verification instead of locking the user out', async () => {
    const guard = createGuard(config('right', 5));
    const burst = (password: string) =>
      Promise.all(
        Array.from({ length: 50 }, () =>
          guard.handleRequest(
            init('/staff', {
              headers: [['Authorization', `Basic ${Buffer.from(`ann:${password}`).toString('base64')}`]],
              remoteAddress: '198.51.100.250',
            }),
          ),
        ),
      );
    const right = await burst('right');
    expect(right.filter((d) => d.action !== 'continue')).toEqual([]);
    // Repeating one wrong password is one guess: it counts once, not 50 times.
    const wrong = await burst('wrong');
    expect(wrong.map((d) => (d.action === 'respond' ? d.status : 200))).toEqual(Array(50).fill(401));
    expect(await guard.handleRequest(login('right'))).toMatchObject({ action: 'continue' });
  });

  it('applies new credentials at once and keeps lockouts across a reload', async () => {
    const guard = createGuard(config('old'));
    expect(await guard.handleRequest(login('old'))).toMatchObject({
      action: 'continue',
      exchange: { identity: 'ann' },
    });
    guard.reload(config('new'));
    // The cache of verified credentials belongs to the old config: the old password stops working.
    expect(await guard.handleRequest(login('old'))).toMatchObject({ status: 401 });
    expect(await guard.handleRequest(login('wrong'))).toMatchObject({ status: 401 });
    guard.reload(config('new'));
    expect(await guard.handleRequest(login('new'))).toMatchObject({ status: 429, reason: 'login-locked' });
    guard.reload(config('new', 5));
    expect(await guard.handleRequest(login('new'))).toMatchObject({ action: 'continue' });
  });
});

describe('bearer tokens reach the validator', () => {
  it('passes tokens with characters outside RFC 6750 (Salesforce uses "!") to the validator', async () => {
    const guard = createGuard(
      {
        environments: {
          prod: {
            profiles: {
              p: {
                type: 'oauth2',
                provider: { kind: 'jwt', issuer: 'https://i.test', jwksUri: 'https://i.test/jwks', audience: 'x' },
              },
            },
          },
        },
        apis: [{ name: 'a', basePath: '/a', environment: 'prod', profiles: ['p'] }],
      },
      { logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );
    const decision = await guard.handleRequest(
      init('/a', { headers: [['Authorization', 'Bearer 00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog']] }),
    );
    // Not a 400 for the header's shape: the validator judged the token itself.
    expect(decision).toMatchObject({ action: 'respond', status: 401 });
    if (decision.action !== 'respond') throw new Error('expected respond');
    expect(decision.headers).toContainEqual(['www-authenticate', expect.stringContaining('error="invalid_token"')]);
    const twoTokens = await guard.handleRequest(init('/a', { headers: [['Authorization', 'Bearer a b']] }));
    expect(twoTokens).toMatchObject({ status: 400 });
  });
});

describe('per-consumer limits', () => {
  it('key on the authenticated name, not on an audit header the client sets', async () => {
    const guard = createGuard(
      {
        environments: {
          prod: {
            profiles: { staff: { type: 'basic', auditHeader: 'X-User', users: [{ username: 'ann', password: 'pw' }] } },
          },
        },
        apis: [{ name: 'staff', basePath: '/staff', environment: 'prod', profiles: ['staff'] }],
        rateLimits: { consumer: { by: 'identity', limit: 1 }, partitionSecret: 's' },
      },
      { logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = await guard.handleRequest(
        init('/staff', {
          headers: [
            ['Authorization', `Basic ${Buffer.from('ann:pw').toString('base64')}`],
            ['X-User', `someone-${i}`],
          ],
        }),
      );
      statuses.push(decision.action === 'respond' ? decision.status : 200);
      if (i === 0) expect(decision.exchange.identity).toBe('someone-0');
    }
    expect(statuses).toEqual([200, 429, 429]);
  });
});

describe('response observation', () => {
  it('asks adapters to watch responses only when audit or a response phase needs them', async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const plain = await createGuard({ apis }, { logger: quiet }).handleRequest(init('/orders'));
    expect(plain).toMatchObject({ action: 'continue', observeResponse: false });
    const audited = await createGuard({ apis }, { logger: quiet, onAudit: () => {} }).handleRequest(init('/orders'));
    expect(audited).toMatchObject({ action: 'continue', observeResponse: true });
    const unmatched = await createGuard({ apis }, { logger: quiet, onAudit: () => {} }).handleRequest(init('/nowhere'));
    expect(unmatched).toMatchObject({ action: 'continue', observeResponse: false });
  });
});
