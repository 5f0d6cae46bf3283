import type { ClientIdentifier } from './identifiers';
import { denyListNames, isDenyListName } from './options';
import type { AseDenyLists } from './types';

/** The emulator's mutable deny lists, one set per client identifier kind. */
export class DenyListStore {
  readonly #lists = new Map<keyof AseDenyLists, Set<string>>(denyListNames.map((name) => [name, new Set<string>()]));

  /**
   * @param initial - values to start with
   */
  constructor(initial: AseDenyLists) {
    for (const name of denyListNames) for (const value of initial[name] ?? []) this.add(name, value);
  }

  /**
   * Adds a value to a list.
   * @param list - the list name
   * @param value - the identifier
   * @throws RangeError for an unknown list, TypeError for a non-string value (guards JavaScript callers)
   */
  add(list: keyof AseDenyLists, value: string): void {
    this.#set(list, value).add(value);
  }

  /**
   * Removes a value from a list.
   * @param list - the list name
   * @param value - the identifier
   */
  remove(list: keyof AseDenyLists, value: string): void {
    this.#set(list, value).delete(value);
  }

  /**
   * The first identifier that is on its deny list, if any.
   * @param identifiers - the call's identifiers
   */
  firstDenied(identifiers: readonly ClientIdentifier[]): ClientIdentifier | undefined {
    return identifiers.find((id) => this.#lists.get(id.list)?.has(id.value) === true);
  }

  #set(list: string, value: unknown): Set<string> {
    const set = isDenyListName(list) ? this.#lists.get(list) : undefined;
    if (set === undefined) throw new RangeError(`Unknown ASE deny list "${list}" (use ${denyListNames.join(', ')})`);
    if (typeof value !== 'string') throw new TypeError('ASE deny list values must be strings');
    return set;
  }
}
