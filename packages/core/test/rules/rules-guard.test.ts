import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createGuard,
  type GatewayRequestInit,
  type Logger,
  type SideguardConfigInput,
} from '../../src/index';

function init(method: string, target: string, headers: [string, string][] = []): GatewayRequestInit {
  return {
    method,
    target,
    httpVersion: '1.1',
    headers: [['Host', 'api.example.com'], ...headers],
    remoteAddress: '192.0.2.10',
    remotePort: 50000,
    encrypted: false,
  };
}

const basic = (user: string) => ['Authorization', `Basic ${Buffer.from(`${user}:pw-${user}`).toString('base64')}`];

const config: SideguardConfigInput = {
  environments: {
    prod: {
      profiles: {
        partners: {
          type: 'basic',
          users: [
            { username: 'alice', password: 'pw-alice' },
            { username: 'bob', password: 'pw-bob' },
          ],
        },
      },
    },
  },
  apis: [
    { name: 'persons', basePath: '/persons', environment: 'prod', profiles: ['partners'] },
    { name: 'open', basePath: '/open' },
  ],
  rules: [
    { name: 'no-deletes', match: { apis: ['persons'], methods: ['DELETE'] }, deny: { status: 405, body: 'No.' } },
    {
      name: 'ban-bob',
      match: { path: '/persons/**', headers: { 'x-user': 'bob' } },
      deny: { status: 403, body: { message: 'banned' } },
    },
    {
      name: 'identity',
      match: { apis: ['persons'] },
      request: { setHeaders: { 'sh-user': '{identity}', 'x-via': 'sideguard {api}' }, removeHeaders: ['x-app-id'] },
    },
    { name: 'hide', match: { path: '/persons/*' }, response: { removeFields: ['$.ssn', '$..password'] } },
  ],
};

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function json(value: unknown) {
  const body = Buffer.from(JSON.stringify(value));
  return {
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['content-length', String(body.byteLength)],
    ] as [string, string][],
    body,
    bodyBytes: body.byteLength,
  };
}

describe('rules in the guard', () => {
  it('denies with the rule response before rate limiting', async () => {
    const guard = createGuard(config, { logger: silent });
    const decision = await guard.handleRequest(init('DELETE', '/persons/1', [basic('alice') as [string, string]]));
    expect(decision).toMatchObject({
      action: 'respond',
      reason: 'rule-denied',
      status: 405,
      body: 'No.',
      headers: [['content-type', 'text/plain; charset=utf-8']],
    });
    const banned = await guard.handleRequest(
      init('GET', '/persons/1', [basic('alice') as [string, string], ['X-User', 'bob']]),
    );
    expect(banned).toMatchObject({ status: 403, body: '{"message":"banned"}' });
  });

  it('sets identity headers, replacing spoofed ones, and removes headers', async () => {
    const guard = createGuard(config, { logger: silent });
    const decision = await guard.handleRequest(
      init('GET', '/persons/1', [basic('alice') as [string, string], ['SH-User', 'root'], ['X-App-Id', 'PNG']]),
    );
    if (decision.action !== 'continue') throw new Error(decision.body);
    const names = decision.request.headers.map(([name]) => name.toLowerCase());
    expect(names).not.toContain('x-app-id');
    expect(decision.request.headers.filter(([name]) => name.toLowerCase() === 'sh-user')).toEqual([
      ['sh-user', 'alice'],
    ]);
    expect(decision.request.headers).toContainEqual(['x-via', 'sideguard persons']);
    // Response rules read the body: the app is asked for it uncompressed, and it is captured.
    expect(decision.request.headers).toContainEqual(['accept-encoding', 'identity']);
    expect(decision.captureResponse?.maxBytes).toBe(1024 * 1024);
    expect(decision.captureResponse?.onOverflow?.status).toBe(502);
  });

  it('leaves requests that match no rule untouched and uncaptured', async () => {
    const guard = createGuard(config, { logger: silent });
    const request = init('GET', '/open/x');
    const decision = await guard.handleRequest(request);
    if (decision.action !== 'continue') throw new Error(decision.body);
    expect(decision.request).toBe(decision.exchange.original);
    expect(decision.captureResponse).toBeUndefined();
  });

  it('removes response fields from JSON bodies and recomputes nothing else', async () => {
    const guard = createGuard(config, { logger: silent });
    const decision = await guard.handleRequest(init('GET', '/persons/1', [basic('alice') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const response = json({ id: 1, ssn: '123', audit: { password: 'x' } });
    const final = await guard.handleResponse(decision.exchange, response);
    expect(final).not.toBe(response);
    expect(JSON.parse(Buffer.from(final.body as Uint8Array).toString())).toEqual({ id: 1, audit: {} });
    expect(final.headers).toEqual([['content-type', 'application/json']]);
    // Nothing to remove: the same response goes out.
    const clean = json({ id: 2 });
    expect(await guard.handleResponse(decision.exchange, clean)).toBe(clean);
  });

  it('passes non-JSON bodies and refuses JSON it cannot read', async () => {
    const errors: string[] = [];
    const guard = createGuard(config, { logger: { ...silent, error: (_c, message) => errors.push(message) } });
    const decision = await guard.handleRequest(init('GET', '/persons/1', [basic('alice') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const text = {
      status: 200,
      headers: [['content-type', 'text/plain']] as [string, string][],
      body: Buffer.from('ssn'),
    };
    expect(await guard.handleResponse(decision.exchange, text)).toBe(text);
    const broken = {
      status: 200,
      headers: [['content-type', 'application/json']] as [string, string][],
      body: Buffer.from('{'),
    };
    expect((await guard.handleResponse(decision.exchange, broken)).status).toBe(502);
    const gzip = {
      status: 200,
      headers: [
        ['content-type', 'application/json'],
        ['content-encoding', 'gzip'],
      ] as [string, string][],
      body: Buffer.from([0x1f, 0x8b]),
    };
    expect((await guard.handleResponse(decision.exchange, gzip)).status).toBe(502);
    expect(errors.length).toBeGreaterThan(0);
    // An overflowing body was already answered by the adapter with the capture's 502.
    const overflow = {
      status: 200,
      headers: [['content-type', 'application/json']] as [string, string][],
      bodyOverflow: true,
    };
    expect(await guard.handleResponse(decision.exchange, overflow)).toBe(overflow);
  });

  it('filters JSON whatever its label says, and newline-delimited JSON line by line', async () => {
    const guard = createGuard(config, { logger: silent });
    const decision = await guard.handleRequest(init('GET', '/persons/1', [basic('alice') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const send = async (type: string | undefined, text: string) => {
      const response = {
        status: 200,
        headers: (type === undefined ? [] : [['content-type', type]]) as [string, string][],
        body: Buffer.from(text),
      };
      const final = await guard.handleResponse(decision.exchange, response);
      return final === response ? 'unchanged' : Buffer.from(final.body as Uint8Array).toString();
    };
    expect(await send('text/html; charset=utf-8', ' {"ssn":1,"a":2}')).toBe('{"a":2}');
    expect(await send(undefined, '[{"password":1}]')).toBe('[{}]');
    expect(await send('text/json', '\uFEFF{"ssn":1}')).toBe('{}');
    expect(await send('application/x-ndjson', '{"ssn":1,"a":1}\n{"a":2}\n')).toBe('{"a":1}\n{"a":2}\n');
    expect(await send('text/plain', '{"ssn":1,"a":1}\n{"ssn":2}')).toBe('{"a":1}\n{}');
    expect(await send('text/plain', '[not json')).toBe('unchanged');
    expect(await send('text/html', '<p>ssn</p>')).toBe('unchanged');
    expect(await send('application/json', '{"a":1}')).toBe('unchanged');
    // A stray invalid byte does not hide the document from the filter.
    const invalid = {
      status: 200,
      headers: [] as [string, string][],
      body: Buffer.concat([Buffer.from('{"ssn":1,"note":"'), Buffer.from([0xff]), Buffer.from('"}')]),
    };
    const cleaned = await guard.handleResponse(decision.exchange, invalid);
    expect(Buffer.from(cleaned.body as Uint8Array).toString()).toBe('{"note":"\uFFFD"}');
    // Labelled JSON that is not: refused, never passed on unchecked.
    expect(await send('application/json', '{"ssn":')).toMatch(/response-unchecked/);
    expect(await send('application/json', '\uFFFE')).toMatch(/response-unchecked/);
  });

  it('treats a trailing slash like none, as the frameworks route it', async () => {
    const guard = createGuard(config, { logger: silent });
    const deny = await guard.handleRequest(init('DELETE', '/persons/7/', [basic('alice') as [string, string]]));
    expect(deny).toMatchObject({ action: 'respond', reason: 'rule-denied' });
    const decision = await guard.handleRequest(init('GET', '/persons/7//', [basic('alice') as [string, string]]));
    expect(decision).toMatchObject({ action: 'continue' });
    if (decision.action === 'continue') expect(decision.captureResponse).toBeDefined();
    const trailing = createGuard(
      { apis: [{ name: 'a', basePath: '/' }], rules: [{ name: 'x', match: { path: '/admin/' }, deny: {} }] },
      { logger: silent },
    );
    expect(await trailing.handleRequest(init('GET', '/admin'))).toMatchObject({ reason: 'rule-denied' });
    expect(await trailing.handleRequest(init('GET', '/admin/'))).toMatchObject({ reason: 'rule-denied' });
  });

  it('matches the normalized path, so dot segments cannot dodge a rule', async () => {
    const guard = createGuard(
      { apis: [{ name: 'a', basePath: '/' }], rules: [{ name: 'admin', match: { path: '/admin/**' }, deny: {} }] },
      { logger: silent },
    );
    for (const target of ['/admin', '/x/../admin/users', '/%61dmin/users', '/ADMIN']) {
      const decision = await guard.handleRequest(init('GET', target));
      expect(decision, target).toMatchObject({ action: 'respond', reason: 'rule-denied', status: 403 });
    }
  });

  it('matches claims and profiles only for authenticated requests', async () => {
    const guard = createGuard(
      {
        environments: config.environments,
        apis: [{ name: 'persons', basePath: '/persons', environment: 'prod', profiles: ['partners'] }],
        rules: [{ name: 'partners-only', match: { profiles: ['partners'], methods: ['POST'] }, deny: { status: 451 } }],
      },
      { logger: silent },
    );
    const decision = await guard.handleRequest(init('POST', '/persons', [basic('alice') as [string, string]]));
    expect(decision).toMatchObject({ status: 451 });
  });

  it('reports every rule problem with its path', () => {
    expect(() =>
      createGuard({
        apis: [{ name: 'a', basePath: '/a' }],
        rules: [
          { name: 'x', match: { apis: ['nope'], profiles: ['ghost'] }, request: { setHeaders: { a: '{secret}' } } },
          { name: 'x', response: { removeFields: ['ssn'] } },
          { name: 'both', deny: {}, request: {} },
        ],
      }),
    ).toThrowError(ConfigError);
    try {
      createGuard({
        apis: [{ name: 'a', basePath: '/a' }],
        rules: [
          { name: 'x', match: { apis: ['nope'], profiles: ['ghost'] }, request: { setHeaders: { a: '{secret}' } } },
          { name: 'x', response: { removeFields: ['ssn'] } },
        ],
      });
    } catch (error) {
      const issues = (error as ConfigError).issues.map((issue) => issue.path.join('.'));
      expect(issues).toEqual([
        'rules.0.match.apis.0',
        'rules.0.match.profiles.0',
        'rules.0.request.setHeaders.a',
        'rules.1.name',
        'rules.1.response.removeFields.0',
      ]);
    }
  });
});

describe('snapshots', () => {
  it('round-trips an exchange, so a later phase applies its response rules and keeps its id', async () => {
    const events: { exchangeId: string; identity?: string | undefined; status: number }[] = [];
    const guard = createGuard(config, { logger: silent, onAudit: (event) => events.push(event) });
    const decision = await guard.handleRequest(init('GET', '/persons/7', [basic('bob') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const snapshot = guard.snapshot(decision.exchange);
    expect(snapshot).toMatchObject({
      v: 1,
      api: 'persons',
      profile: 'partners',
      identity: 'bob',
      responseRules: ['hide'],
    });
    const wire = JSON.parse(JSON.stringify(snapshot));
    const restored = guard.restore(wire);
    expect(restored?.id).toBe(decision.exchange.id);
    expect(restored?.identity).toBe('bob');
    const final = await guard.handleResponse(restored as NonNullable<typeof restored>, json({ ssn: 1, ok: true }));
    expect(Buffer.from(final.body as Uint8Array).toString()).toBe('{"ok":true}');
    expect(events).toEqual([
      expect.objectContaining({ exchangeId: decision.exchange.id, identity: 'bob', status: 200 }),
    ]);
  });

  it('refuses snapshots the config no longer fits', async () => {
    const guard = createGuard(config, { logger: silent });
    const decision = await guard.handleRequest(init('GET', '/persons/7', [basic('bob') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const snapshot = guard.snapshot(decision.exchange);
    if (snapshot === undefined) throw new Error('no snapshot');
    expect(guard.restore({ ...snapshot, api: 'gone' })).toBeUndefined();
    expect(guard.restore({ ...snapshot, profile: 'gone' })).toBeUndefined();
    expect(guard.restore({ ...snapshot, responseRules: ['gone'] })).toBeUndefined();
    expect(guard.restore({ ...snapshot, v: 2 } as unknown as typeof snapshot)).toBeUndefined();
    expect(guard.restore(null as unknown as typeof snapshot)).toBeUndefined();
    const unmatched = await guard.handleRequest(init('GET', '/elsewhere'));
    expect(guard.snapshot(unmatched.exchange)).toBeUndefined();
  });

  it('rebuilds an exchange from the request alone for stateless response phases', () => {
    const guard = createGuard(config, { logger: silent });
    const exchange = guard.exchangeFor(init('GET', '/persons/3'));
    expect(exchange?.api?.name).toBe('persons');
    expect(exchange?.identity).toBeUndefined();
    expect(guard.exchangeFor(init('GET', '/nowhere'))).toBeUndefined();
  });
});

describe('a logger that throws', () => {
  it('never turns a logged failure into a rejection or an unhandled error', async () => {
    const throwing: Logger = {
      debug() {},
      info() {
        throw new Error('disk full');
      },
      warn() {
        throw new Error('disk full');
      },
      error() {
        throw new Error('disk full');
      },
    };
    const guard = createGuard(config, { logger: throwing });
    const decision = await guard.handleRequest(init('GET', '/persons/1', [basic('alice') as [string, string]]));
    if (decision.action !== 'continue') throw new Error(decision.body);
    const broken = {
      status: 200,
      headers: [['content-type', 'application/json']] as [string, string][],
      body: Buffer.from('{'),
    };
    // The failure is logged (and the logger throws) on the way to the fail-closed answer.
    await expect(guard.handleResponse(decision.exchange, broken)).resolves.toMatchObject({ status: 502 });
    expect(() => guard.reload(config)).not.toThrow();
  });
});
