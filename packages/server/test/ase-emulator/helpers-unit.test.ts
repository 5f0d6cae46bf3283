import { describe, expect, it } from 'vitest';
import { bearerToken, cookieValues, queryValues } from '../../src/ase-emulator/identifiers';
import { findApi, hostnameOf, underPrefix } from '../../src/ase-emulator/routing';

describe('ASE emulator routing helpers', () => {
  it('reads host names without port, brackets or case', () => {
    expect(hostnameOf('Shop.Example:8443')).toBe('shop.example');
    expect(hostnameOf('shop.example')).toBe('shop.example');
    expect(hostnameOf('[::1]:8080')).toBe('::1');
    expect(hostnameOf('[::1]')).toBe('::1');
    expect(hostnameOf('2001:db8::1')).toBe('2001:db8::1');
    expect(hostnameOf('10.0.0.3:80')).toBe('10.0.0.3');
  });

  it('matches URL prefixes on whole segments', () => {
    expect(underPrefix('/shop', '/shop')).toBe(true);
    expect(underPrefix('/shop/books', '/shop')).toBe(true);
    expect(underPrefix('/shop/books', '/shop/')).toBe(true);
    expect(underPrefix('/shopping', '/shop')).toBe(false);
    expect(underPrefix('/', '/shop')).toBe(false);
    expect(underPrefix('/anything', '/')).toBe(true);
  });

  it('picks the longest prefix and ignores the query when routing', () => {
    const apis = [
      { name: 'v1', hostname: 'api.example', url: '/v1' },
      { name: 'orders', hostname: 'api.example', url: '/v1/orders' },
    ];
    expect(findApi(apis, 'api.example', '/v1/orders/7?x=/v2')?.name).toBe('orders');
    expect(findApi(apis, 'api.example', '/v1/order')?.name).toBe('v1');
    expect(findApi(apis, 'api.example', '/v2?u=/v1')).toBeUndefined();
    expect(findApi(apis, undefined, '/v1')).toBeUndefined();
  });
});

describe('ASE emulator identifier helpers', () => {
  it('reads bearer tokens only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('BEARER   abc ')).toBe('abc');
    expect(bearerToken('Basic YTpi')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });

  it('reads every value of a named cookie', () => {
    expect(cookieValues('a=1; sid=x; sid="y"', 'sid')).toEqual(['x', 'y']);
    expect(cookieValues('SID=x; sidx=y; flag', 'sid')).toEqual([]);
    expect(cookieValues('sid=a=b', 'sid')).toEqual(['a=b']);
  });

  it('reads decoded query values', () => {
    expect(queryValues('/p?apikey=a%2Bb&apikey=c#frag', 'apikey')).toEqual(['a+b', 'c']);
    expect(queryValues('/p?k=1#apikey=x', 'apikey')).toEqual([]);
    expect(queryValues('/p', 'apikey')).toEqual([]);
  });
});
