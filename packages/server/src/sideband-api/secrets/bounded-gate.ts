/**
 * Runs at most `maxRunning` tasks at once and queues at most `maxWaiting` more; a task beyond that is
 * refused at once, so a flood of expensive work cannot pile up without bound.
 */
export class BoundedGate {
  readonly #maxRunning: number;
  readonly #maxWaiting: number;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  /**
   * @param maxRunning - tasks run concurrently
   * @param maxWaiting - tasks queued behind them
   */
  constructor(maxRunning: number, maxWaiting: number) {
    this.#maxRunning = maxRunning;
    this.#maxWaiting = maxWaiting;
  }

  /**
   * Runs a task when a slot is free.
   * @param task - the work
   * @returns its result, or `undefined` at once when every slot and queue place is taken
   */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.#running < this.#maxRunning) {
      this.#running++;
      return this.#execute(task);
    }
    if (this.#waiting.length >= this.#maxWaiting) return undefined;
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#execute(task));
  }

  async #execute<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      // A finished task hands its slot straight to the next waiter, so nothing can jump the queue.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next();
    }
  }
}
