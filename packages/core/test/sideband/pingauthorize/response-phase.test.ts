import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayResponse } from '../../../src/index';
import {
  closeFakes,
  closeGuards,
  continued,
  echo,
  type FakeCall,
  guardFor,
  recordingLogger,
  reply,
  requestInit,
  startFakePingAuthorize,
} from './fake-pingauthorize';

afterEach(async () => {
  await closeGuards();
  await closeFakes();
});

/** A captured upstream response, as an adapter reports it. */
function upstream(body: string, extra: Partial<GatewayResponse> = {}): GatewayResponse {
  const bytes = Buffer.from(body, 'utf8');
  return {
    status: 200,
    headers: [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(bytes.byteLength)],
      ['X-Powered-By', 'SmartHub Server Supreme'],
    ],
    bodyBytes: bytes.byteLength,
    body: bytes,
    ...extra,
  };
}

function text(response: GatewayResponse): string {
  return Buffer.from(response.body ?? new Uint8Array()).toString('utf8');
}

/** The engine rewrites responses: drops X-Powered-By, redacts the body, answers 203. */
function rewriting(call: FakeCall, res: Parameters<typeof reply>[0]): void {
  if (call.path === '/sideband/request') {
    echo(call, res);
    return;
  }
  reply(res, {
    response_code: '203',
    response_status: 'NON-AUTHORITATIVE INFORMATION',
    http_version: '1.1',
    headers: [
      { 'Content-Type': 'application/json' },
      { 'Content-Length': '999' },
      { 'Transfer-Encoding': 'chunked' },
      { 'Content-Encoding': 'gzip' },
      { Connection: 'close' },
      { 'X-Policy': 'redacted' },
    ],
    body: '{"name":"Bruce"}',
  });
}

describe('PingAuthorize response phase', () => {
  it('asks adapters to capture and hold responses, failing closed on overflow by default', async () => {
    const fake = await startFakePingAuthorize();
    const closed = continued(await guardFor({ endpoints: [fake.url] }).handleRequest(requestInit('/shop')));
    expect(closed).toMatchObject({ observeResponse: true, holdResponse: true });
    expect(closed.captureResponse?.maxBytes).toBe(1024 * 1024);
    expect(closed.captureResponse?.onOverflow?.status).toBe(502);
    expect(JSON.parse(Buffer.from(closed.captureResponse?.onOverflow?.body ?? []).toString())).toMatchObject({
      error: 'sideband-unavailable',
    });

    const open = await guardFor({
      endpoints: [fake.url],
      failMode: 'open',
      responseBody: { maxBytes: 10 },
    }).handleRequest(requestInit('/shop'));
    expect(continued(open).captureResponse).toEqual({ maxBytes: 10, onOverflow: undefined });

    const off = await guardFor({ endpoints: [fake.url], responsePhase: false }).handleRequest(requestInit('/shop'));
    expect(continued(off)).toMatchObject({ observeResponse: false, holdResponse: false, captureResponse: undefined });
  });

  it('sends the documented payload with the state and replaces the response with the reply', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request' ? reply(res, { ...call.body, state: 'H4sIAAAA-1' }) : rewriting(call, res),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = continued(
      await guard.handleRequest(
        requestInit('/shop/persons/7?x=1', {
          headers: [
            ['Host', 'shop.example.com:8080'],
            ['Accept-Encoding', 'gzip'],
          ],
        }),
      ),
    );
    const original = upstream('{"name":"Bruce","ssn":"123"}');
    const final = await guard.handleResponse(decision.exchange, original);

    expect(fake.callsTo('/sideband/response')[0]?.body).toEqual({
      method: 'GET',
      url: 'http://shop.example.com:8080/shop/persons/7?x=1',
      response_code: '200',
      response_status: 'OK',
      http_version: '1.1',
      headers: [
        { 'Content-Type': 'application/json' },
        { 'Content-Length': '28' },
        { 'X-Powered-By': 'SmartHub Server Supreme' },
      ],
      body: '{"name":"Bruce","ssn":"123"}',
      state: 'H4sIAAAA-1',
    });
    expect(final).not.toBe(original);
    expect(final.status).toBe(203);
    expect(final.headers).toEqual([
      ['Content-Type', 'application/json'],
      ['X-Policy', 'redacted'],
    ]);
    expect(text(final)).toBe('{"name":"Bruce"}');
  });

  it("keeps the gateway's own RateLimit headers the reply leaves out", async () => {
    const fake = await startFakePingAuthorize(rewriting);
    const guard = guardFor({ endpoints: [fake.url] }, { config: { rateLimits: { org: { limit: 100 } } } });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    const own = decision.responseHeaders;
    expect(own.length).toBeGreaterThan(0);
    const final = await guard.handleResponse(decision.exchange, upstream('{}', { headers: [...own] }));
    expect(final.headers).toEqual([['Content-Type', 'application/json'], ['X-Policy', 'redacted'], ...own]);
  });

  it.each([
    ['request', (payload: unknown) => ({ request: payload })],
    ['none', () => ({})],
    ['auto', (payload: unknown) => ({ request: payload })],
    ['state', () => ({})],
  ] as const)('sends the request context "%s" when the engine gives no state', async (requestContext, expected) => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], requestContext });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    await guard.handleResponse(decision.exchange, upstream('{}'));
    const sent = fake.callsTo('/sideband/response')[0]?.body;
    const { state, request } = sent;
    expect({ ...(state === undefined ? {} : { state }), ...(request === undefined ? {} : { request }) }).toEqual(
      expected(fake.callsTo('/sideband/request')[0]?.body),
    );
  });

  it('sends the request, not the state, in "request" mode and nothing in "none" mode', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request' ? reply(res, { ...call.body, state: 'S' }) : echo(call, res),
    );
    for (const requestContext of ['request', 'none', 'state', 'auto'] as const) {
      const guard = guardFor({ endpoints: [fake.url], requestContext });
      const decision = continued(await guard.handleRequest(requestInit('/shop')));
      await guard.handleResponse(decision.exchange, upstream('{}'));
    }
    const sent = fake
      .callsTo('/sideband/response')
      .map((call) => ({ state: call.body.state, request: call.body.request }));
    const payload = fake.callsTo('/sideband/request')[0]?.body;
    expect(sent).toEqual([
      { state: undefined, request: payload },
      { state: undefined, request: undefined },
      { state: 'S', request: undefined },
      { state: 'S', request: undefined },
    ]);
  });

  it('keeps each exchange its own state: 1,000 concurrent exchanges', async () => {
    const mismatches: string[] = [];
    const fake = await startFakePingAuthorize((call, res) => {
      const id = /[?&]id=(\d+)/.exec(call.body.url)?.[1] ?? 'none';
      if (call.path === '/sideband/request') {
        // Answer out of order, so interleaving is certain.
        setTimeout(() => reply(res, { ...call.body, state: `state-${id}` }), Number(id) % 7);
        return;
      }
      if (call.body.state !== `state-${id}`) mismatches.push(`${id}: ${call.body.state}`);
      reply(res, { response_code: 200, headers: [], body: `for ${call.body.state}` });
    });
    const guard = guardFor({ endpoints: [fake.url] });
    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const decision = continued(await guard.handleRequest(requestInit(`/shop/item?id=${i}`)));
        await new Promise((resolve) => setTimeout(resolve, (i * 13) % 5));
        return text(await guard.handleResponse(decision.exchange, upstream(`{"id":${i}}`)));
      }),
    );
    expect(mismatches).toEqual([]);
    expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => `for state-${i}`));
  }, 20_000);

  it('skips the call for a response whose body overflowed the capture', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    const overflowed: GatewayResponse = { status: 200, headers: [], bodyBytes: 5_000_000, bodyOverflow: true };
    expect(await guard.handleResponse(decision.exchange, overflowed)).toBe(overflowed);
    expect(fake.callsTo('/sideband/response')).toHaveLength(0);
  });

  it('never retries a response phase, and fails closed with a 502 replacement or open with the original', async () => {
    const primary = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request' ? echo(call, res) : res.socket?.destroy(),
    );
    const secondary = await startFakePingAuthorize();
    for (const failMode of ['closed', 'open'] as const) {
      const guard = guardFor({ endpoints: [primary.url, secondary.url], failMode });
      const decision = continued(await guard.handleRequest(requestInit('/shop')));
      const original = upstream('{}');
      const final = await guard.handleResponse(decision.exchange, original);
      if (failMode === 'open') expect(final).toBe(original);
      else {
        expect(final.status).toBe(502);
        expect(JSON.parse(text(final))).toMatchObject({ error: 'sideband-unavailable' });
      }
    }
    expect(secondary.calls).toHaveLength(0);
  });

  it.each([
    ['status 500', (res: Parameters<typeof reply>[0]) => reply(res, { message: 'boom' }, 500)],
    ['status 429', (res: Parameters<typeof reply>[0]) => reply(res, {}, 429, { 'retry-after': '5' })],
    ['garbage JSON', (res: Parameters<typeof reply>[0]) => res.end('{{{')],
    ['a missing response_code', (res: Parameters<typeof reply>[0]) => reply(res, { headers: [], body: 'x' })],
    [
      'an invalid header',
      (res: Parameters<typeof reply>[0]) => reply(res, { response_code: '200', headers: [{ 'a b': 'c' }] }),
    ],
  ])('fails closed on %s, or passes the original when open', async (_what, answer) => {
    const fake = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request' ? echo(call, res) : answer(res),
    );
    for (const failMode of ['closed', 'open'] as const) {
      const guard = guardFor({ endpoints: [fake.url], failMode });
      const decision = continued(await guard.handleRequest(requestInit('/shop')));
      const original = upstream('{}');
      const final = await guard.handleResponse(decision.exchange, original);
      if (failMode === 'open') expect(final).toBe(original);
      else expect(final.status).toBe(502);
    }
  });

  it('answers 502 on a 401 whatever the fail mode, logging a shared-secret mismatch', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request'
        ? echo(call, res)
        : reply(res, { message: 'The Gateway Token is invalid' }, 401),
    );
    const { logger, entries } = recordingLogger();
    const guard = guardFor({ endpoints: [fake.url], failMode: 'open' }, { logger });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    const final = await guard.handleResponse(decision.exchange, upstream('{}'));
    expect(final.status).toBe(502);
    expect(entries.find((entry) => entry.level === 'error')?.message).toMatch(/shared secret mismatch/i);
    expect(JSON.stringify(entries)).not.toContain('test-secret');
  });

  it('applies the fail mode to a content-encoded body of a type it sends, without sending it', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    const gzipped = upstream('\u001f\u008b', {
      headers: [
        ['Content-Type', 'application/json'],
        ['Content-Encoding', 'gzip'],
      ],
    });
    expect((await guard.handleResponse(decision.exchange, gzipped)).status).toBe(502);
    expect(fake.callsTo('/sideband/response')).toHaveLength(0);
  });

  it('answers the response phase within the timeout when the engine hangs', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      call.path === '/sideband/request' ? echo(call, res) : undefined,
    );
    const guard = guardFor({ endpoints: [fake.url], timeoutMs: 300 });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    const started = performance.now();
    expect((await guard.handleResponse(decision.exchange, upstream('{}'))).status).toBe(502);
    expect(performance.now() - started).toBeLessThan(800);
  });
});
