import { describe, expect, it } from 'vitest';
import { hostnameOf, normalizePath, parseTarget } from '../src/http/target';

describe('request target', () => {
  it('splits origin-form and reduces absolute-form', () => {
    expect(parseTarget('/a/b?x=1&y')).toEqual({
      url: '/a/b?x=1&y',
      path: '/a/b',
      query: 'x=1&y',
      authority: undefined,
    });
    expect(parseTarget('http://Example.com:8080/p?q')).toEqual({
      url: '/p?q',
      path: '/p',
      query: 'q',
      authority: 'Example.com:8080',
    });
    expect(parseTarget('https://example.com')).toMatchObject({ url: '/', path: '/', authority: 'example.com' });
    expect(parseTarget('https://example.com?x')).toMatchObject({ url: '/?x', path: '/', query: 'x' });
    expect(parseTarget('*')).toMatchObject({ path: '*', authority: undefined });
  });

  it('reads hostnames without port, case or trailing dot', () => {
    expect(hostnameOf('API.Example.com:8443')).toBe('api.example.com');
    expect(hostnameOf('api.example.com.')).toBe('api.example.com');
    expect(hostnameOf('[::1]:8080')).toBe('[::1]');
    expect(hostnameOf('user@host')).toBe('');
    expect(hostnameOf('api.example.com:1@evil')).toBe('');
    expect(hostnameOf('api.example.com:http')).toBe('');
    expect(hostnameOf('bad host')).toBe('');
    expect(hostnameOf(undefined)).toBe('');
  });

  it('normalizes paths the way a normalizing server would', () => {
    expect(normalizePath('/a/b')).toBe('/a/b');
    expect(normalizePath('/public/../admin')).toBe('/admin');
    expect(normalizePath('/public/%2e%2E/admin')).toBe('/admin');
    expect(normalizePath('//admin//x')).toBe('/admin/x');
    expect(normalizePath('/a/./b/.')).toBe('/a/b/');
    expect(normalizePath('/a/b/..')).toBe('/a/');
    expect(normalizePath('/../../x')).toBe('/x');
    expect(normalizePath('/%41pi/%2F')).toBe('/Api/%2F');
  });
});
