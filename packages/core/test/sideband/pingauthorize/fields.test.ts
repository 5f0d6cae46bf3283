import { afterEach, describe, expect, it } from 'vitest';
import { isFieldValue, isToken, validRetryAfter } from '../../../src/http/fields';
import { SidebandClient } from '../../../src/sideband/http/index';
import { compileMediaRanges, mediaRangePattern } from '../../../src/sideband/pingauthorize/media-types';
import { closeAllServers, spyLogger, startHttp } from '../http/helpers';

describe('media ranges', () => {
  const ranges = compileMediaRanges(['application/json', 'application/*+json', 'text/*']);

  it.each([
    ['application/json', true],
    ['APPLICATION/JSON; charset=UTF-8', true],
    [' application/json ;q=1', true],
    ['application/problem+json', true],
    ['application/+json', false],
    ['application/jsonx', false],
    ['application/xml', false],
    ['text/plain', true],
    ['text/', false],
    ['text', false],
    ['', false],
    [undefined, false],
  ])('%j matches: %s', (contentType, expected) => {
    expect(ranges.matches(contentType)).toBe(expected);
  });

  it.each([
    ['application/json', true],
    ['text/*', true],
    ['application/*+json', true],
    ['*/*', false],
    ['application/json;charset=utf-8', false],
    ['application', false],
    ['application/*json', false],
  ])('pattern accepts %j: %s', (range, expected) => {
    expect(mediaRangePattern.test(range)).toBe(expected);
  });
});

describe('header fields', () => {
  it('accepts RFC 9110 tokens only', () => {
    expect(['X-Ok', "a!#$%&'*+.^_`|~9", 'GET'].every(isToken)).toBe(true);
    expect(['', 'a b', 'a:b', 'a\u00e9', 'a\r\n', 'a"b', 'a(b)'].some(isToken)).toBe(false);
  });

  it('refuses control characters and code points past Latin-1 in values', () => {
    expect(['', 'plain', 'tab\tok', 'caf\u00e9'].every(isFieldValue)).toBe(true);
    for (const bad of ['a\rb', 'a\nb', 'a\u0000b', 'a\u007fb', 'a\u0001b', '\u2028', '\u{1f600}']) {
      expect(isFieldValue(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it.each([
    ['120', '120'],
    [' 5 ', '5'],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['Sunday, 06-Nov-94 08:49:37 GMT', undefined],
    ['Sun, 06 Foo 1994 08:49:37 GMT', undefined],
    ['1.5', undefined],
    ['12345678901', undefined],
    [['1', '2'], undefined],
    [undefined, undefined],
  ])('Retry-After %j → %j', (value, expected) => {
    expect(validRetryAfter(value)).toBe(expected);
  });
});

describe('SidebandClient keepAliveMs', () => {
  const clients: SidebandClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await closeAllServers();
  });

  async function connectionsAfterIdle(keepAliveMs: number): Promise<number> {
    const server = await startHttp();
    const client = new SidebandClient({ endpoints: [server.url], keepAliveMs, logger: spyLogger() });
    clients.push(client);
    await client.send({ method: 'GET', path: '/', headers: {} });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.send({ method: 'GET', path: '/', headers: {} });
    return server.connections;
  }

  it('closes connections idle longer than keepAliveMs and keeps them otherwise', async () => {
    expect(await connectionsAfterIdle(50)).toBe(2);
    expect(await connectionsAfterIdle(60_000)).toBe(1);
  });

  it('rejects a keepAliveMs that is not a positive number', () => {
    expect(() => new SidebandClient({ endpoints: ['http://127.0.0.1:9'], keepAliveMs: 0 })).toThrow(/`keepAliveMs`/);
  });
});
