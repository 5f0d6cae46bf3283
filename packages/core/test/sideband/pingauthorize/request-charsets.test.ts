import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayRequestInit, RequestDecision } from '../../../src/index';
import { bodyOf, closeFakes, closeGuards, guardFor, requestInit, startFakePingAuthorize } from './fake-pingauthorize';

afterEach(async () => {
  await closeGuards();
  await closeFakes();
});

const admin = '{"role":"admin"}';

/** A POST to `/shop` with these `Content-Type` lines and body bytes. */
function post(contentTypes: readonly string[], body: Uint8Array): GatewayRequestInit {
  return requestInit('/shop', {
    method: 'POST',
    headers: [
      ['Host', 'shop.example.com'],
      ...contentTypes.map((type): [string, string] => ['Content-Type', type]),
      ['Content-Length', String(body.byteLength)],
    ],
    body: bodyOf(body),
  });
}

function expect415(decision: RequestDecision): void {
  expect(decision).toMatchObject({ action: 'respond', status: 415, reason: 'body-encoding-unsupported' });
}

describe('PingAuthorize request body charsets', () => {
  it.each([
    [['application/json; charset=utf-16le']],
    [['application/json; charset="UTF-16"']],
    [['application/json;charset=utf-32']],
    [['text/plain; charset=iso-8859-1']],
    [['application/x-www-form-urlencoded; charset=windows-1252']],
    [['application/json; charset=']],
    // A framework may take the last parameter or line, this connector the first: all must agree.
    [['application/json; charset=utf-8; charset=utf-16le']],
    [['application/json', 'application/json; charset=utf-16le']],
    [['application/json; charset=utf-8', 'application/json; charset=us-ascii']],
  ])('answers 415 for %j without asking the engine', async (contentTypes) => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    // What express.json() would parse as {"role":"admin"} under charset=utf-16le.
    expect415(await guard.handleRequest(post(contentTypes, Buffer.from(admin, 'utf16le'))));
    expect(fake.calls).toHaveLength(0);
  });

  it.each([
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'application/json; CHARSET=us-ascii',
    'text/plain; format=flowed; charset=utf-8',
    'application/json; charset=utf8',
    'text/plain; charset="UTF8"',
    // The same charset under two names agrees.
    'application/json; charset=utf-8; charset=utf8',
  ])('sends a body declared %s', async (contentType) => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = await guard.handleRequest(post([contentType], Buffer.from(admin, 'utf8')));
    expect(decision.action).toBe('continue');
    expect(fake.calls[0]?.body.body).toBe(admin);
  });

  it.each([
    ['a UTF-16LE BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(admin, 'utf16le')])],
    ['a UTF-16BE BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(admin, 'utf16le').swap16()])],
    ['a UTF-32LE BOM', Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x7b, 0x00, 0x00, 0x00, 0x7d, 0x00, 0x00, 0x00])],
    ['a UTF-32BE BOM', Buffer.from([0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x7b, 0x00, 0x00, 0x00, 0x7d])],
    // Jackson and other RFC 4627 parsers detect these from the NULs, without any charset or BOM.
    ['UTF-16LE without a BOM', Buffer.from(admin, 'utf16le')],
    ['UTF-16BE without a BOM', Buffer.from(admin, 'utf16le').swap16()],
    ['an invalid byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
    ['an overlong encoding of "/"', Buffer.from([0x22, 0xc0, 0xaf, 0x22])],
    ['an encoded surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ['a truncated sequence', Buffer.from([0x22, 0x61, 0xe2, 0x82])],
  ])('answers 415 for a body with %s', async (_what, bytes) => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    expect415(await guard.handleRequest(post(['application/json'], bytes)));
    expect(fake.calls).toHaveLength(0);
  });

  it('answers 415 for bytes past ASCII in a body declared us-ascii (some decoders drop the high bit)', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const init = post(['text/plain; charset=us-ascii'], Buffer.from('Zoë', 'utf8'));
    expect415(await guard.handleRequest(init));
    expect(fake.calls).toHaveLength(0);
  });

  it('sends UTF-8 text exactly, and leaves out a UTF-8 BOM as parsers do while the app gets the bytes as sent', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const text = '{"name":"Zoë 🦊"}';
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    for (const bytes of [Buffer.from(text, 'utf8'), withBom]) {
      const decision = await guard.handleRequest(post(['application/json'], bytes));
      if (decision.action !== 'continue') throw new Error(`expected continue, got ${decision.status}`);
      expect(Buffer.from(await decision.request.body.read()).equals(bytes)).toBe(true);
    }
    expect(fake.calls.map((call) => call.body.body)).toEqual([text, text]);
  });

  it('does not look at the charset of a body it does not send', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = await guard.handleRequest(post(['application/octet-stream; charset=utf-16le'], Buffer.from([0])));
    expect(decision.action).toBe('continue');
    expect(fake.calls[0]?.body).not.toHaveProperty('body');
  });
});
