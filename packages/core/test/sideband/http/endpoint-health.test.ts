import { describe, expect, it } from 'vitest';
import { EndpointHealth } from '../../../src/sideband/http/endpoint-health';
import { spyLogger } from './helpers';

const URLS = ['http://a', 'http://b', 'http://c'];

function health(cooldown: number | 'off' = 1000, urls = URLS) {
  const logger = spyLogger();
  const recoveryCooldownMs = cooldown === 'off' ? undefined : cooldown;
  return { health: new EndpointHealth(urls, { recoveryCooldownMs, logger }), logger };
}

describe('EndpointHealth', () => {
  it('starts on the primary with every endpoint healthy', () => {
    const { health: state } = health();
    expect(state.first(0)).toBe(0);
    expect(state.snapshot()).toEqual({
      active: 'http://a',
      endpoints: URLS.map((url) => ({ url, healthy: true, consecutiveFailures: 0 })),
    });
  });

  it('moves to the next healthy endpoint on failure and offers it for the retry', () => {
    const { health: state, logger } = health();
    state.markFailure(0, 100, 'connect');
    expect(state.active).toBe(1);
    expect(state.retryTarget(0)).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(
      { component: 'sideband', endpoint: 'http://a', reason: 'connect', active: 'http://b' },
      expect.any(String),
    );
  });

  it('skips unhealthy endpoints and wraps around', () => {
    const { health: state } = health();
    state.markFailure(0, 100, 'connect');
    state.markFailure(1, 110, 'timeout');
    expect(state.active).toBe(2);
    state.markFailure(2, 120, 'timeout');
    // Nothing healthy: rotate to the next in order rather than stick to a dead endpoint.
    expect(state.active).toBe(0);
    expect(state.snapshot().endpoints.map((endpoint) => endpoint.healthy)).toEqual([false, false, false]);
  });

  it('moves only once when concurrent calls fail on the same endpoint', () => {
    const { health: state, logger } = health();
    state.markFailure(0, 100, 'timeout');
    state.markFailure(0, 101, 'timeout');
    state.markFailure(0, 102, 'timeout');
    expect(state.active).toBe(1);
    expect(state.retryTarget(0)).toBe(1);
    expect(state.snapshot().endpoints[0]?.consecutiveFailures).toBe(3);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('offers no retry target with a single endpoint', () => {
    const { health: state } = health(1000, ['http://only']);
    state.markFailure(0, 100, 'connect');
    expect(state.active).toBe(0);
    expect(state.retryTarget(0)).toBeUndefined();
  });

  it('hands the primary to one call per cooldown (passive recovery)', () => {
    const { health: state } = health(1000);
    state.markFailure(0, 100, 'connect');
    expect(state.first(500)).toBe(1);
    expect(state.first(1099)).toBe(1);
    expect(state.first(1100)).toBe(0);
    // Concurrent calls during the trial keep using the secondary.
    expect(state.first(1101)).toBe(1);
    expect(state.first(2099)).toBe(1);
  });

  it('makes the primary active again when its trial succeeds', () => {
    const { health: state, logger } = health(1000);
    state.markFailure(0, 100, 'connect');
    expect(state.first(1100)).toBe(0);
    state.markSuccess(0, 1100);
    expect(state.active).toBe(0);
    expect(state.snapshot().endpoints[0]).toEqual({ url: 'http://a', healthy: true, consecutiveFailures: 0 });
    expect(logger.info).toHaveBeenCalledTimes(1);
  });

  it('stays on the secondary and restarts the cooldown when the trial fails', () => {
    const { health: state } = health(1000);
    state.markFailure(0, 100, 'connect');
    expect(state.first(1100)).toBe(0);
    state.markFailure(0, 1105, 'connect');
    expect(state.active).toBe(1);
    expect(state.retryTarget(0)).toBe(1);
    expect(state.first(2000)).toBe(1);
    expect(state.first(2105)).toBe(0);
  });

  it('tries a recovered secondary before the tertiary', () => {
    const { health: state } = health(1000);
    state.markFailure(0, 100, 'connect');
    state.markFailure(1, 500, 'connect');
    expect(state.active).toBe(2);
    expect(state.first(1100)).toBe(0);
    state.markFailure(0, 1100, 'connect');
    expect(state.first(1500)).toBe(1);
    state.markSuccess(1, 1500);
    expect(state.active).toBe(1);
  });

  it('never recovers passively when the cooldown is off (health checks decide)', () => {
    const { health: state } = health('off');
    state.markFailure(0, 100, 'connect');
    expect(state.first(1_000_000)).toBe(1);
    state.markSuccess(0, 1_000_000);
    expect(state.active).toBe(0);
  });

  it('ignores a success that started before the latest failure', () => {
    const { health: state } = health();
    state.markFailure(0, 100, 'timeout');
    state.markSuccess(0, 99);
    expect(state.active).toBe(1);
    expect(state.snapshot().endpoints[0]?.healthy).toBe(false);
  });

  it('moves off an unhealthy active endpoint when another one succeeds', () => {
    const { health: state } = health();
    state.markFailure(0, 100, 'connect');
    state.markFailure(1, 100, 'connect');
    state.markFailure(2, 100, 'connect');
    expect(state.active).toBe(0);
    state.markSuccess(2, 200);
    expect(state.active).toBe(2);
    // A more preferred endpoint that succeeds takes over; a less preferred one does not.
    state.markSuccess(1, 400);
    expect(state.active).toBe(1);
    state.markSuccess(2, 500);
    expect(state.active).toBe(1);
  });

  it('requires at least one endpoint', () => {
    expect(() => new EndpointHealth([], { recoveryCooldownMs: 0, logger: spyLogger() })).toThrow(/at least one/);
  });
});
