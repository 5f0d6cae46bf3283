type Listener = () => void;

/**
 * A one-shot abort signal in the EventEmitter shape undici accepts for `signal` (`on`, `once`,
 * `removeListener`, `aborted`, `reason`). Each sideband attempt needs one, and an `AbortController`
 * (an EventTarget underneath) costs several times more to create and to listen on; this keeps the
 * same guarantee — a timed-out attempt is cancelled in undici, so it never goes out late.
 */
export class AttemptAbort {
  aborted = false;
  /** Left `undefined`: undici then aborts with its own `RequestAbortedError`. */
  readonly reason: unknown = undefined;
  #listeners: Listener[] | undefined;

  /**
   * Adds an abort listener (undici's only event here).
   * @param event - `abort`; others are ignored
   * @param listener - called once, on abort
   */
  on(event: string, listener: Listener): this {
    if (event !== 'abort' || this.aborted) return this;
    this.#listeners ??= [];
    this.#listeners.push(listener);
    return this;
  }

  /**
   * Same as {@link AttemptAbort.on}: listeners run at most once anyway.
   * @param event - `abort`
   * @param listener - called once, on abort
   */
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  /**
   * Removes a listener added before.
   * @param event - `abort`
   * @param listener - the listener
   */
  removeListener(event: string, listener: Listener): this {
    const listeners = this.#listeners;
    if (event !== 'abort' || listeners === undefined) return this;
    const index = listeners.indexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
    return this;
  }

  /** Aborts: every listener runs once, later listeners are refused. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}
