import { SecretStore, SecretStoreError } from '@sideguard/server';
import { describe, expect, it } from 'vitest';
import { parseSecretHash } from '../../src/sideband-api/secrets/secret-hash';
import { testCost } from './helpers';

const valueA = 'secret123';
const valueB = 'rotated-secret-456';

async function storeAB(options: ConstructorParameters<typeof SecretStore>[1] = {}) {
  const store = new SecretStore(undefined, { scryptCost: testCost, ...options });
  await store.create('A', valueA);
  await store.create('B', valueB);
  return store;
}

function refusal(code: string) {
  return expect.objectContaining({ name: 'SecretStoreError', code });
}

describe('SecretStore life cycle', () => {
  it("follows Ping's life cycle: created secrets are unused until added; delete refuses one in use", async () => {
    const store = await storeAB();
    expect(await store.verify(valueA)).toBeUndefined();
    store.add('A');
    expect(await store.verify(valueA)).toBe('A');
    store.add('B');
    expect(await store.verify(valueB)).toBe('B');
    expect(() => store.delete('A')).toThrow(refusal('SECRET_IN_USE'));
    store.remove('A');
    expect(await store.verify(valueA)).toBeUndefined();
    store.delete('A');
    expect(store.list().map((secret) => secret.name)).toEqual(['B']);
    // A deleted name can be created again with another value.
    await store.create('A', 'brand-new-value');
    expect(store.list().map(({ name, inUse }) => [name, inUse])).toEqual([
      ['B', true],
      ['A', false],
    ]);
  });

  it('refuses unknown names, duplicates, double adds and removes, bad names and bad values', async () => {
    const store = await storeAB();
    await expect(store.create('A', 'another-value')).rejects.toEqual(refusal('SECRET_EXISTS'));
    expect(() => store.add('Nope')).toThrow(refusal('SECRET_UNKNOWN'));
    expect(() => store.remove('Nope')).toThrow(refusal('SECRET_UNKNOWN'));
    expect(() => store.delete('Nope')).toThrow(refusal('SECRET_UNKNOWN'));
    expect(() => store.remove('A')).toThrow(refusal('SECRET_NOT_IN_USE'));
    store.add('A');
    expect(() => store.add('A')).toThrow(refusal('SECRET_IN_USE'));
    for (const name of ['', ' leading', 'a/b', 'x'.repeat(65)]) {
      await expect(store.create(name, 'long-enough')).rejects.toEqual(refusal('SECRET_NAME_INVALID'));
    }
    for (const value of ['short', 'line\nbreak-value', ' padded-value', 'ünïcode-value', 'x'.repeat(1025)]) {
      const error = await store.create('C', value).catch((caught: unknown) => caught);
      expect(error).toEqual(refusal('SECRET_VALUE_INVALID'));
      expect((error as Error).message).not.toContain(value);
    }
    await store.create('Shared Secret C', 'inner spaces are fine');
  });

  it('keeps only scrypt hashes with a random salt; nothing returns a value', async () => {
    const store = await storeAB();
    store.add('A');
    const state = store.export();
    const text = JSON.stringify({ state, list: store.list() });
    expect(text).not.toContain(valueA);
    expect(text).not.toContain(valueB);
    expect(state.secrets.A?.hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(store.list()[0]).toEqual({ name: 'A', inUse: true, createdAt: expect.any(String) });
    expect(Object.keys(store.list()[0] ?? {})).toEqual(['name', 'inUse', 'createdAt']);
    // The same value hashes differently each time (per-secret salt).
    await store.create('A2', valueA);
    expect(store.export().secrets.A2?.hash).not.toBe(state.secrets.A?.hash);
    expect(
      parseSecretHash('scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'),
    ).toMatch(/power of two/);
  });

  it('loads a state all or nothing, keeping cached checks of unchanged secrets', async () => {
    const store = await storeAB({ maxConcurrentChecks: 1, maxQueuedChecks: 0 });
    store.add('A');
    expect(await store.verify(valueA)).toBe('A');
    const saved = store.export();
    expect(() => store.load({ secrets: saved.secrets, accepted: ['A', 'Ghost'] })).toThrow(
      /accepted\[1\]: no secret is named "Ghost"/,
    );
    expect(() => store.load({ secrets: { A: { hash: 'plain', createdAt: 'x' } }, accepted: [] })).toThrow(
      refusal('SECRET_STATE_INVALID'),
    );
    expect(store.export()).toEqual(saved); // unchanged by the refused loads
    store.load(saved);
    // The only check slot is busy with an unknown value, yet the known one answers: from the cache.
    const busy = store.verify('an-unknown-value');
    expect(await store.verify(valueA)).toBe('A');
    expect(await store.verify('another-unknown')).toBeUndefined(); // refused at once: no slot, no queue
    expect(await busy).toBeUndefined();
  });

  it('shares one scrypt run among concurrent checks of one value, and refuses beyond the queue', async () => {
    const store = await storeAB({ maxConcurrentChecks: 1, maxQueuedChecks: 1 });
    store.add('A');
    const same = await Promise.all([store.verify(valueA), store.verify(valueA), store.verify(valueA)]);
    expect(same).toEqual(['A', 'A', 'A']);
    store.add('B');
    // Slot: B; queue: one wrong value; the next wrong value has no place. B, being shared, still matches.
    const results = await Promise.all([
      store.verify(valueB),
      store.verify('wrong-one'),
      store.verify('wrong-two'),
      store.verify(valueB),
    ]);
    expect(results).toEqual(['B', undefined, undefined, 'B']);
  });

  it('lets one caller hold only two uncached checks, so a flood from it cannot lock others out', async () => {
    const store = await storeAB();
    store.add('A');
    store.add('B');
    const now = Date.now();
    const flood = Array.from({ length: 50 }, (_, i) => store.verify(`wrong-${i}`, now, '203.0.113.66'));
    // The gateway's first call with the rotated secret gets a slot although the flood came first.
    const gateway = store.verify(valueB, now, '10.0.0.5');
    expect(await gateway).toBe('B');
    const outcomes = await Promise.all(flood);
    expect(outcomes.every((outcome) => outcome === undefined)).toBe(true);
    // Its slots are free again once its checks are done.
    expect(await store.verify(valueA, now, '203.0.113.66')).toBe('A');
  });

  it('applies a change made during a check: an added secret matches, a removed one does not', async () => {
    const store = await storeAB();
    store.add('A');
    const pending = store.verify(valueB); // checked against {A}: a miss
    store.add('B'); // meanwhile B enters use
    expect(await pending).toBe('B');
    const removing = store.verify(valueA);
    store.remove('A');
    expect(await removing).toBeUndefined();
    // A cached miss stops being one when its secret is added.
    expect(await store.verify(valueA)).toBeUndefined();
    store.add('A');
    expect(await store.verify(valueA)).toBe('A');
  });

  it('ignores missing, empty and oversized presented values without taking a check slot', async () => {
    const store = await storeAB({ maxConcurrentChecks: 1, maxQueuedChecks: 1 });
    store.add('A');
    store.add('B');
    const busy = store.verify('occupies-the-slot');
    const ignored = [store.verify(undefined), store.verify(''), store.verify('x'.repeat(1025))];
    // Had any of those been checked, the one queue place would be gone and B refused.
    expect(await store.verify(valueB)).toBe('B');
    expect(await Promise.all([busy, ...ignored])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('is an Error subclass with a stable code', () => {
    const error = new SecretStoreError('SECRET_UNKNOWN', 'No shared secret is named "x"');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('SECRET_UNKNOWN');
  });
});
