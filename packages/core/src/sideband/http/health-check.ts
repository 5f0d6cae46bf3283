import type { EndpointHealth } from './endpoint-health';
import type { EndpointPool } from './endpoint-pool';

/** Active health check settings. */
export interface SidebandHealthCheckOptions {
  /** Path probed with GET under each endpoint's base path, e.g. `/ase`. */
  path: string;
  /** Time between probes of one endpoint, in ms. */
  intervalMs: number;
  /** Time allowed for one probe, in ms (default: the client's `requestTimeoutMs`). */
  timeoutMs?: number;
}

/**
 * Probes every endpoint each interval: a 2xx reply marks it healthy (making it active again when it is
 * preferred), anything else unhealthy. The timer is unref'd so it never keeps the process alive, and an
 * endpoint is not probed again while its previous probe is still running, so probes never pile up.
 * @param pools - one pool per endpoint, in preference order
 * @param health - the shared bookkeeping
 * @param options - path, interval and probe timeout
 * @param now - clock in ms
 * @returns a function that stops the checks
 */
export function startHealthChecks(
  pools: readonly EndpointPool[],
  health: EndpointHealth,
  options: Required<SidebandHealthCheckOptions>,
  now: () => number,
): () => void {
  const running = new Set<number>();
  let stopped = false;

  const probe = async (pool: EndpointPool, index: number): Promise<void> => {
    const startedAt = now();
    const result = await pool.attempt(
      { method: 'GET', path: `${pool.address.basePath}${options.path}`, headers: {} },
      options.timeoutMs,
    );
    // Results that land after close() must not touch the state any more.
    if (stopped) return;
    if (result.ok && result.reply.status >= 200 && result.reply.status < 300) {
      health.markSuccess(index, startedAt);
    } else if (result.ok) {
      health.markFailure(index, now(), `health check status ${result.reply.status}`);
    } else if (result.endpointFault) {
      health.markFailure(index, now(), `health check ${result.failure.code}`);
    }
  };

  const timer = setInterval(() => {
    pools.forEach((pool, index) => {
      if (running.has(index)) return;
      running.add(index);
      probe(pool, index)
        // A throwing logger must not become an unhandled rejection.
        .catch(() => undefined)
        .finally(() => running.delete(index));
    });
  }, options.intervalMs);
  timer.unref();

  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
