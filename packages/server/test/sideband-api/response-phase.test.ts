import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { AuditEvent } from '@sideguard/core';
import { type SidebandApiServer, startSidebandApiServer } from '@sideguard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateSealer } from '../../src/sideband-api/state-seal';
import {
  annTrace,
  guardConfig,
  json,
  pingTrace,
  recordingLogger,
  sideband,
  storeWith,
  upstreamResponse,
} from './helpers';

const stateKey = randomBytes(32);

/** The upstream body with `audit` removed, as the `hide-audit` rule leaves it. */
const filtered = JSON.stringify({ id: '7d9fc465', name: 'Bruce Heller' });

describe('Sideband API response phase', () => {
  let server: SidebandApiServer;
  const audit: AuditEvent[] = [];
  beforeAll(async () => {
    server = await startSidebandApiServer({
      config: guardConfig,
      secrets: await storeWith(),
      stateKey,
      stateTtlSeconds: 60,
      logger: recordingLogger().logger,
      onAudit: (event) => audit.push(event),
    });
  });
  afterAll(() => server.close());

  async function stateFor(payload = annTrace()): Promise<{ state: string; id: string }> {
    const result = await sideband(server.url, 'request', payload);
    return { state: json(result).state as string, id: result.headers['correlation-id'] as string };
  }

  it('round-trips state: the response rule removes the field, and both phases share the exchange id', async () => {
    const { state, id } = await stateFor();
    const result = await sideband(server.url, 'response', upstreamResponse({ state }));
    expect(result.status).toBe(200);
    expect(result.headers['correlation-id']).toBe(id);
    expect(json(result)).toEqual({
      response_code: '200',
      response_status: 'OK',
      http_version: '1.1',
      // The rewritten body's true length replaces the upstream's.
      headers: [{ 'Content-Type': 'application/json' }, { 'content-length': String(filtered.length) }],
      body: filtered,
    });
    expect(audit.find((event) => event.exchangeId === id)).toMatchObject({
      api: 'persons',
      identity: 'ann',
      status: 200,
      decision: 'continue',
      responseBytes: filtered.length,
    });
  });

  it('echoes a response no rule changes, response_code as a string, even when sent as a number', async () => {
    const { state } = await stateFor();
    const body = JSON.stringify({ id: 'x' });
    const sent = upstreamResponse({ response_code: 404, response_status: 'NOT FOUND', body, state });
    const reply = json(await sideband(server.url, 'response', sent));
    expect(reply).toEqual({
      response_code: '404',
      response_status: 'NOT FOUND',
      http_version: '1.1',
      headers: sent.headers,
      body,
    });
  });

  it('refuses tampered, garbage, foreign and expired state with 400 "invalid state"', async () => {
    const { state } = await stateFor();
    const bytes = Buffer.from(state, 'base64url');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 1;
    const foreign = new StateSealer(randomBytes(32));
    const own = new StateSealer(stateKey);
    const snapshot = {
      s: {
        ...{ v: 1, id: 'x', api: 'persons', clientIp: '::1', method: 'GET', host: 'h' },
        url: new URL(pingTrace().url as string).pathname,
        ...{ reason: 'allowed', responseRules: ['hide-audit'] },
      },
    };
    const candidates = [
      bytes.toString('base64url'),
      'H4sIAAAAAAAAAK1TTY-bMBD9K5YvvWAWAllITs1WUVupq62a7YfUVNEAU3BjMLXN7m',
      '%%%not-base64%%%',
      foreign.seal(snapshot, Date.now()),
      own.seal(snapshot, Date.now() - 61_000), // older than stateTtlSeconds
      own.seal(snapshot, Date.now() + 10 * 60_000), // issued in the future
    ];
    for (const candidate of candidates) {
      const result = await sideband(server.url, 'response', upstreamResponse({ state: candidate }));
      expect(result.status).toBe(400);
      expect(json(result)).toEqual({ message: 'invalid state' });
    }
    // The same snapshot sealed properly and in time is accepted: the refusals above were for the seal.
    const fresh = await sideband(server.url, 'response', upstreamResponse({ state: own.seal(snapshot, Date.now()) }));
    expect(json(fresh).body).toBe(filtered);
  });

  it('keeps 1,000 concurrent exchanges apart: each state finishes its own exchange', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const requests = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          sideband(server.url, 'request', annTrace({ source_ip: `198.51.100.${i % 250}` }), { agent }),
        ),
      );
      const exchanges = requests.map((result) => ({
        id: result.headers['correlation-id'] as string,
        state: json(result).state as string,
      }));
      expect(new Set(exchanges.map((exchange) => exchange.id)).size).toBe(1000);
      const responses = await Promise.all(
        exchanges.map((exchange) =>
          sideband(server.url, 'response', upstreamResponse({ state: exchange.state }), { agent }),
        ),
      );
      responses.forEach((result, i) => {
        expect(result.headers['correlation-id']).toBe(exchanges[i]?.id);
        expect(json(result).body).toBe(filtered);
      });
    } finally {
      agent.destroy();
    }
  });

  it('refuses a state sent with the response of another request', async () => {
    const { state } = await stateFor();
    for (const other of [
      upstreamResponse({ state, url: 'http://localhost:6443/persons/someone-else' }),
      upstreamResponse({ state, method: 'POST' }),
      upstreamResponse({ state, url: 'http://localhost:6443/public/x' }),
      upstreamResponse({ state, method: undefined, url: undefined }),
    ]) {
      const result = await sideband(server.url, 'response', other);
      expect(result.status).toBe(400);
      expect(json(result).message).toMatch(/state does not belong to this request/);
    }
  });

  it('without state, applies response rules whose profile and claim conditions it cannot check', async () => {
    const strict = await startSidebandApiServer({
      config: {
        ...guardConfig,
        rules: [
          ...(guardConfig.rules ?? []),
          { name: 'staff-names', match: { profiles: ['staff'] }, response: { removeFields: ['$.name'] } },
          { name: 'flagged', match: { headers: { 'x-flag': true } }, response: { removeFields: ['$.id'] } },
        ],
      },
      secrets: await storeWith(),
      logger: recordingLogger().logger,
    });
    try {
      // With the request: headers are known (no x-flag), identity is not.
      const withRequest = json(await sideband(strict.url, 'response', upstreamResponse({ request: annTrace() })));
      expect(JSON.parse(withRequest.body as string)).toEqual({ id: '7d9fc465' });
      // With method and url only: header conditions are unknown too.
      const targetOnly = json(await sideband(strict.url, 'response', upstreamResponse()));
      expect(JSON.parse(targetOnly.body as string)).toEqual({});
    } finally {
      await strict.close();
    }
  });

  it('with "request" context, finds the exchange from the original request payload', async () => {
    const reply = json(await sideband(server.url, 'response', upstreamResponse({ request: annTrace() })));
    expect(reply.body).toBe(filtered);
    const unrouted = upstreamResponse({ request: pingTrace({ url: 'http://localhost:6443/elsewhere' }) });
    expect(json(await sideband(server.url, 'response', unrouted)).body).toBe(upstreamResponse().body);
  });

  it('with no context, finds the exchange from method and url, and echoes when they are absent', async () => {
    const url = 'http://localhost:6443/persons/7d9fc465';
    expect(json(await sideband(server.url, 'response', upstreamResponse({ method: 'GET', url }))).body).toBe(filtered);
    const bare = upstreamResponse({ method: undefined, url: undefined });
    const echoed = json(await sideband(server.url, 'response', bare));
    expect(echoed).toEqual(bare);
  });

  it('validates a "request" context as a request payload, naming the field', async () => {
    const result = await sideband(
      server.url,
      'response',
      upstreamResponse({ request: { ...annTrace(), url: '/relative' } }),
    );
    expect(result.status).toBe(400);
    expect(json(result).message).toContain('request.url: must be an absolute http(s) URL');
    const both = await sideband(server.url, 'response', upstreamResponse({ request: annTrace(), state: 'x' }));
    expect(json(both).message).toContain('give "state" or "request", not both');
  });

  it('refuses a state whose API a reload removed, and carries rate-limit headers to the response', async () => {
    const limited = await startSidebandApiServer({
      config: { apis: [{ name: 'public', basePath: '/public' }], rateLimits: { org: { limit: 100 } } },
      secrets: await storeWith(),
      logger: recordingLogger().logger,
    });
    try {
      const payload = pingTrace({ url: 'http://localhost:6443/public/x' });
      const state = json(await sideband(limited.url, 'request', payload)).state as string;
      const reply = json(await sideband(limited.url, 'response', upstreamResponse({ state, url: payload.url })));
      const names = (reply.headers as Record<string, string>[]).map((entry) => Object.keys(entry)[0]?.toLowerCase());
      expect(names).toEqual(expect.arrayContaining(['content-type', 'ratelimit', 'ratelimit-policy']));
      limited.reload({ config: { apis: [{ name: 'other', basePath: '/public' }] } });
      const after = await sideband(limited.url, 'response', upstreamResponse({ state, url: payload.url }));
      expect(after.status).toBe(400);
      expect(json(after)).toEqual({ message: 'invalid state' });
    } finally {
      await limited.close();
    }
  });
});
