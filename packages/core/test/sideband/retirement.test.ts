import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ContinueDecision,
  createGuard,
  type GatewayResponse,
  type Guard,
  type RequestDecision,
  type SideguardConfigInput,
} from '../../src/index';
import { closeAllServers, ok, startHttp, waitFor } from './http/helpers';
import {
  closeFakes,
  closeGuards,
  guardFor,
  recordingLogger,
  requestInit,
  startFakePingAuthorize,
} from './pingauthorize/fake-pingauthorize';

const apis = [{ name: 'shop', basePath: '/shop' }];
/** Past the 30 s a replaced connector stays open at least. */
const pastGraceMs = 31_000;

const guards: Guard[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
  await closeGuards();
  await closeFakes();
  await closeAllServers();
});

/** Fake timers that still move with real time, so sockets and the engine keep working. */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
}

function continued(decision: RequestDecision): ContinueDecision {
  if (decision.action !== 'continue') throw new Error(`expected continue, got ${decision.status} ${decision.reason}`);
  return decision;
}

function upstream(): GatewayResponse {
  const body = Buffer.from('{"ok":true}');
  return { status: 200, headers: [['Content-Type', 'application/json']], bodyBytes: body.byteLength, body };
}

describe('a reload replacing the PingAuthorize connector', () => {
  async function setUp() {
    // Idle connections outlive the test unless a close ends them: the open count shows when the old pool closed.
    const fake = await startFakePingAuthorize(undefined, 3_600_000);
    const settings = { sharedSecret: 'test-secret', endpoints: [fake.url], timeoutMs: 2000 };
    const guard = guardFor(settings);
    const replace = () => guard.reload({ apis, sideband: { pingAuthorize: { ...settings, timeoutMs: 3000 } } });
    return { fake, guard, replace };
  }

  it('lets an exchange begun before it finish its response phase, then closes the old connections', async () => {
    fakeTimers();
    const { fake, guard, replace } = await setUp();
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    replace();
    await vi.advanceTimersByTimeAsync(pastGraceMs);
    expect(fake.connections.open).toBe(1);
    const original = upstream();
    // The engine echoes: the response goes out as written, not as a 502 from a closed client.
    expect(await guard.handleResponse(decision.exchange, original)).toBe(original);
    expect(fake.callsTo('/sideband/response')).toHaveLength(1);
    await waitFor(() => fake.connections.open === 0);
  });

  it('waits for exchanges still under way, but closes after ten minutes even if one never ends', async () => {
    fakeTimers();
    const { guard, replace } = await setUp();
    const finished = continued(await guard.handleRequest(requestInit('/shop')));
    const lost = continued(await guard.handleRequest(requestInit('/shop')));
    replace();
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    const original = upstream();
    expect(await guard.handleResponse(finished.exchange, original)).toBe(original);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    // The bound passed: the old client is closed, and the late response phase fails closed.
    expect((await guard.handleResponse(lost.exchange, upstream())).status).toBe(502);
  });

  it('does not wait for exchanges that were answered in the request phase', async () => {
    fakeTimers();
    const { fake, guard, replace } = await setUp();
    fake.handle((call, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...call.body, response: { response_code: '403' } }));
    });
    expect((await guard.handleRequest(requestInit('/shop'))).action).toBe('respond');
    replace();
    // Open for 30 s still: exchanges begun before the reload may not have reached the connector yet.
    await vi.advanceTimersByTimeAsync(29_000);
    expect(fake.connections.open).toBe(1);
    await vi.advanceTimersByTimeAsync(pastGraceMs - 29_000);
    await waitFor(() => fake.connections.open === 0);
  });

  it('closes replaced connectors still waiting for exchanges on guard.close()', async () => {
    const { fake, guard, replace } = await setUp();
    continued(await guard.handleRequest(requestInit('/shop')));
    replace();
    await guard.close();
    await waitFor(() => fake.connections.open === 0);
  });
});

describe('a reload replacing the ASE connector', () => {
  it.each(['background', 'awaited'] as const)(
    'lets an exchange begun before it send its %s response phase',
    async (responsePhase) => {
      fakeTimers();
      const ase = await startHttp(ok);
      const { logger, entries } = recordingLogger();
      const config = (timeoutMs: number): SideguardConfigInput => ({
        apis,
        sideband: { ase: { endpoints: [ase.url], responsePhase, timeoutMs } },
      });
      const guard = createGuard(config(500), { logger });
      guards.push(guard);
      const decision = continued(await guard.handleRequest(requestInit('/shop')));
      guard.reload(config(600));
      await vi.advanceTimersByTimeAsync(pastGraceMs);
      await guard.handleResponse(decision.exchange, upstream());
      await waitFor(() => ase.requests.some((request) => request.url === '/ase/response'));
      expect(entries.filter((entry) => entry.level === 'error')).toEqual([]);
    },
  );
});
