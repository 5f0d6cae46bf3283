/** What an exchange records of the connectors it uses (a field of the guard's exchange state). */
export interface ConnectorUser {
  /** The connectors this exchange entered and has not left; made on first use. */
  connectorsInUse: ConnectorUsers[] | undefined;
}

/**
 * The exchanges that may still call a sideband connector, so that a reload closes a replaced
 * connector's client only once they are done with it: an exchange begun before the reload keeps
 * the connector it started with, response phase included. Each exchange notes the connectors it
 * entered, so entering or leaving twice counts once — cheaper per request than a WeakSet, and a lost
 * exchange is collected with its notes.
 */
export class ConnectorUsers {
  #count = 0;
  #onIdle: (() => void) | undefined;

  /**
   * An exchange starts using the connector (its request phase begins).
   * @param exchange - the exchange
   */
  enter(exchange: ConnectorUser): void {
    const inUse = exchange.connectorsInUse;
    if (inUse === undefined) exchange.connectorsInUse = [this];
    else if (inUse.includes(this)) return;
    else inUse.push(this);
    this.#count++;
  }

  /**
   * The exchange is done with the connector: denied, let through without a response phase here, or
   * its response phase settled. Leaving an exchange that never entered does nothing.
   * @param exchange - the exchange
   */
  leave(exchange: ConnectorUser): void {
    const inUse = exchange.connectorsInUse;
    const index = inUse === undefined ? -1 : inUse.indexOf(this);
    if (index === -1) return;
    inUse?.splice(index, 1);
    this.#count--;
    if (this.#count === 0) this.#onIdle?.();
  }

  /**
   * Resolves once no exchange uses the connector, but not before `minMs` (exchanges begun before a
   * reload may still be in earlier stages, not here yet) and at the latest after `maxMs` (an exchange
   * whose response never came cannot hold the connector open for ever). Never rejects.
   * @param minMs - the least time to wait
   * @param maxMs - the most time to wait
   */
  idle(minMs: number, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(latest);
        this.#onIdle = undefined;
        resolve();
      };
      const latest = setTimeout(done, maxMs);
      latest.unref();
      setTimeout(() => {
        if (this.#count === 0) done();
        else this.#onIdle = done;
      }, minMs).unref();
    });
  }
}
