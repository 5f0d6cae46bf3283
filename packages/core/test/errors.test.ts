import { describe, expect, it } from 'vitest';
import { ConfigError, formatConfigPath, isSideguardError, SideguardError } from '../src/index';

describe('errors', () => {
  it('carries a stable code, a cause and its class name', () => {
    const cause = new Error('disk on fire');
    const error = new SideguardError('SIDEGUARD_INTERNAL', 'boom', { cause });
    expect(error.code).toBe('SIDEGUARD_INTERNAL');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('SideguardError');
    expect(error).toBeInstanceOf(Error);
  });

  it('is recognised by brand, also when made by another copy of the package', () => {
    expect(isSideguardError(new ConfigError([]))).toBe(true);
    const foreign = Object.assign(new Error('from another install'), { code: 'SIDEGUARD_INTERNAL' });
    Object.defineProperty(foreign, Symbol.for('sideguard.error'), { value: true });
    expect(isSideguardError(foreign)).toBe(true);
    expect(isSideguardError(new Error('plain'))).toBe(false);
    expect(isSideguardError({ code: 'SIDEGUARD_INTERNAL' })).toBe(false);
    expect(isSideguardError(null)).toBe(false);
  });

  it('lists every config problem with its path in the message', () => {
    const error = new ConfigError([
      { path: ['apis', 2, 'basePath'], message: 'must start with "/"' },
      { path: ['unmatched'], message: 'invalid option' },
    ]);
    expect(error.code).toBe('SIDEGUARD_CONFIG_INVALID');
    expect(error.message).toContain('2 problems');
    expect(error.message).toContain('apis[2].basePath: must start with "/"');
    expect(error.message).toContain('unmatched: invalid option');
  });

  it('formats paths as written in JSON', () => {
    expect(formatConfigPath([])).toBe('(root)');
    expect(formatConfigPath(['trustedProxies', 'addresses', 0])).toBe('trustedProxies.addresses[0]');
  });
});
