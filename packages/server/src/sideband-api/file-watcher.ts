import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls back, debounced, when any of a set of files changes. It watches the files' folders rather than
 * the files, because an atomic write (temporary file + rename) replaces the file a watcher would hold.
 */
export class FileWatcher {
  readonly #onChange: () => void;
  readonly #onError: (error: Error) => void;
  readonly #debounceMs: number;
  readonly #watchers = new Map<string, FSWatcher>();
  #files = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param onChange - called once per burst of changes
   * @param onError - called when a folder cannot be watched
   * @param debounceMs - quiet time that ends a burst
   */
  constructor(onChange: () => void, onError: (error: Error) => void, debounceMs = 200) {
    this.#onChange = onChange;
    this.#onError = onError;
    this.#debounceMs = debounceMs;
  }

  /**
   * Sets the files watched (a reload may point at another guard config file).
   * @param files - the files, any relative ones from the working directory
   */
  watch(files: readonly string[]): void {
    this.#files = new Set(files.map((file) => resolve(file)));
    const folders = new Set([...this.#files].map((file) => dirname(file)));
    for (const [folder, watcher] of this.#watchers) {
      if (folders.has(folder)) continue;
      watcher.close();
      this.#watchers.delete(folder);
    }
    for (const folder of folders) {
      if (this.#watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          // Some platforms omit the name; then any change in the folder counts.
          if (name === null || this.#files.has(resolve(folder, basename(name.toString())))) this.#schedule();
        });
        watcher.on('error', (error) => this.#onError(error));
        this.#watchers.set(folder, watcher);
      } catch (error) {
        this.#onError(error as Error);
      }
    }
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onChange(), this.#debounceMs);
  }
}
