import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayResponse, Guard } from '../../../src/index';
import {
  closeFakes,
  closeGuards,
  continued,
  echo,
  type FakeCall,
  type FakeHandler,
  guardFor,
  recordingLogger,
  reply,
  requestInit,
  startFakePingAuthorize,
} from './fake-pingauthorize';

afterEach(async () => {
  await closeGuards();
  await closeFakes();
});

/** A captured upstream response with these headers and body bytes. */
function upstream(headers: [string, string][], body: Uint8Array, status = 200): GatewayResponse {
  return {
    status,
    headers: [...headers, ['Content-Length', String(body.byteLength)]],
    bodyBytes: body.byteLength,
    body,
  };
}

/** Answers the request phase as an echo and the response phase with `answer`. */
function responding(answer: (call: FakeCall) => unknown): FakeHandler {
  return (call, res) => (call.path === '/sideband/request' ? echo(call, res) : reply(res, answer(call)));
}

/** The response payload echoed back, with `patch` applied. */
function echoed(call: FakeCall, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const { response_code, response_status, http_version, headers, body } = call.body;
  return { response_code, response_status, http_version, headers, body, ...patch };
}

async function judge(guard: Guard, response: GatewayResponse) {
  const decision = continued(await guard.handleRequest(requestInit('/shop')));
  return guard.handleResponse(decision.exchange, response);
}

function bytesOf(response: GatewayResponse): Buffer {
  return Buffer.from(response.body ?? new Uint8Array());
}

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x80, 0xfe]);

describe('PingAuthorize response bodies', () => {
  it('does not send a binary body, and an echo sends the response exactly as written', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const original = upstream([['Content-Type', 'image/png']], png);
    expect(await judge(guard, original)).toBe(original);
    const sent = fake.callsTo('/sideband/response')[0]?.body;
    expect(sent).not.toHaveProperty('body');
    expect(sent.headers).toEqual([{ 'Content-Type': 'image/png' }, { 'Content-Length': String(png.byteLength) }]);
  });

  it('keeps the bytes of a body it did not send when the engine changes only headers', async () => {
    const fake = await startFakePingAuthorize(
      responding((call) => echoed(call, { headers: [...call.body.headers, { 'X-Policy': 'seen' }] })),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const final = await judge(guard, upstream([['Content-Type', 'image/png']], png));
    expect(final.status).toBe(200);
    expect(final.headers).toEqual([
      ['Content-Type', 'image/png'],
      ['X-Policy', 'seen'],
    ]);
    expect(bytesOf(final).equals(png)).toBe(true);
  });

  it.each([
    ['no body', undefined],
    ['an empty body', ''],
  ])(
    'never sends a body it did not send under a status the engine changed, when its reply has %s',
    async (_what, body) => {
      const fake = await startFakePingAuthorize(
        responding((call) =>
          call.body.url.endsWith('?deny')
            ? { response_code: '403', headers: [{ 'Content-Type': 'text/plain' }], body }
            : echoed(call, { response_code: '203', body }),
        ),
      );
      const guard = guardFor({ endpoints: [fake.url] });
      const decision = continued(await guard.handleRequest(requestInit('/shop?deny')));
      const denied = await guard.handleResponse(decision.exchange, upstream([['Content-Type', 'image/png']], png));
      expect(denied.status).toBe(403);
      expect(denied.headers).toEqual([['Content-Type', 'text/plain']]);
      expect(bytesOf(denied).byteLength).toBe(0);
      // Any status change may be a deny: the engine could not see these bytes, so it did not allow them.
      const zipped = gzipSync(png);
      const changed = await judge(
        guard,
        upstream(
          [
            ['Content-Type', 'application/octet-stream'],
            ['Content-Encoding', 'gzip'],
          ],
          zipped,
        ),
      );
      expect(changed.status).toBe(203);
      expect(changed.headers).toEqual([['Content-Type', 'application/octet-stream']]);
      expect(bytesOf(changed).byteLength).toBe(0);
    },
  );

  it('keeps the Content-Encoding of a compressed body it did not send, so the bytes still decode', async () => {
    const fake = await startFakePingAuthorize(
      responding((call) => echoed(call, { headers: [...call.body.headers, { 'X-Policy': 'seen' }] })),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const zipped = gzipSync(png);
    const final = await judge(
      guard,
      upstream(
        [
          ['Content-Type', 'application/octet-stream'],
          ['Content-Encoding', 'gzip'],
        ],
        zipped,
      ),
    );
    expect(final.headers).toEqual([
      ['Content-Type', 'application/octet-stream'],
      ['X-Policy', 'seen'],
      ['Content-Encoding', 'gzip'],
    ]);
    expect(bytesOf(final).equals(zipped)).toBe(true);
  });

  it('sends a text body the engine echoes exactly as written, UTF-8 BOM included', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const text = '{"name":"Zoë 🦊"}';
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    for (const bytes of [Buffer.from(text, 'utf8'), withBom]) {
      const original = upstream([['Content-Type', 'application/json; charset=utf-8']], bytes);
      expect(await judge(guard, original)).toBe(original);
    }
    expect(fake.callsTo('/sideband/response').map((call) => call.body.body)).toEqual([text, text]);
  });

  it('replaces a text body the engine changed, and empties one whose reply has no body', async () => {
    const fake = await startFakePingAuthorize(
      responding((call) =>
        call.body.body === '{"ssn":"1"}' ? echoed(call, { body: '{}' }) : echoed(call, { body: undefined }),
      ),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const changed = await judge(guard, upstream([['Content-Type', 'application/json']], Buffer.from('{"ssn":"1"}')));
    expect(bytesOf(changed).toString()).toBe('{}');
    const emptied = await judge(guard, upstream([['Content-Type', 'application/json']], Buffer.from('{"a":1}')));
    expect(bytesOf(emptied).byteLength).toBe(0);
  });

  it('keeps a body it did not send under the same status unless the engine supplies a non-empty one', async () => {
    const fake = await startFakePingAuthorize(
      responding((call) =>
        call.body.url.endsWith('?replace')
          ? echoed(call, { headers: [{ 'Content-Type': 'text/plain' }], body: 'no' })
          : echoed(call, { body: '' }),
      ),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const original = upstream([['Content-Type', 'image/png']], png);
    expect(await judge(guard, original)).toBe(original);
    const decision = continued(await guard.handleRequest(requestInit('/shop?replace')));
    const replaced = await guard.handleResponse(decision.exchange, upstream([['Content-Type', 'image/png']], png));
    expect(replaced.status).toBe(200);
    expect(bytesOf(replaced).toString()).toBe('no');
  });

  it.each([
    ['declared in another charset', 'text/html; charset=iso-8859-1', Buffer.from('<p>caf\u00e9</p>', 'latin1')],
    [
      'declared Latin-1',
      'application/json; charset=iso-8859-1',
      Buffer.from('{"name":"Zo\u00eb","ssn":"123"}', 'latin1'),
    ],
    ['declared UTF-16', 'application/json; charset=utf-16', Buffer.from('{"a":1}', 'utf16le')],
    ['not valid UTF-8', 'text/plain', Buffer.from([0x61, 0xff, 0x62])],
  ])('applies the fail mode to text %s, without sending it, and logs it once', async (_what, contentType, bytes) => {
    const fake = await startFakePingAuthorize();
    for (const failMode of ['closed', 'open'] as const) {
      const { logger, entries } = recordingLogger();
      const guard = guardFor({ endpoints: [fake.url], failMode }, { logger });
      for (let i = 0; i < 2; i++) {
        const original = upstream([['Content-Type', contentType]], bytes);
        const final = await judge(guard, original);
        if (failMode === 'open') expect(final).toBe(original);
        else {
          expect(final.status).toBe(502);
          expect(JSON.parse(bytesOf(final).toString())).toMatchObject({ error: 'sideband-unavailable' });
        }
      }
      const errors = entries.filter((entry) => entry.level === 'error');
      expect(errors.map((entry) => entry.context.cause)).toEqual(['pingauthorize:response:not-utf8']);
    }
    expect(fake.callsTo('/sideband/response')).toHaveLength(0);
  });

  it('judges an empty body whatever charset it declares, as there is nothing to decode', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const original = upstream([['Content-Type', 'application/json; charset=iso-8859-1']], new Uint8Array(0), 204);
    expect(await judge(guard, original)).toBe(original);
    expect(fake.callsTo('/sideband/response')[0]?.body.body).toBe('');
  });

  it('sends a body declared utf8, the common alias of utf-8', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const text = '{"name":"Zoë"}';
    for (const contentType of ['application/json; charset=utf8', 'application/json; charset="UTF8"']) {
      const original = upstream([['Content-Type', contentType]], Buffer.from(text, 'utf8'));
      expect(await judge(guard, original)).toBe(original);
    }
    expect(fake.callsTo('/sideband/response').map((call) => call.body.body)).toEqual([text, text]);
  });

  it('sends bodies of the types in responseBody.contentTypes only', async () => {
    const fake = await startFakePingAuthorize();
    const xml = upstream([['Content-Type', 'application/xml']], Buffer.from('<a/>'));
    await judge(guardFor({ endpoints: [fake.url] }), xml);
    await judge(guardFor({ endpoints: [fake.url], responseBody: { contentTypes: ['application/xml'] } }), xml);
    await judge(
      guardFor({ endpoints: [fake.url], responseBody: { contentTypes: ['application/xml'] } }),
      upstream([['Content-Type', 'application/json']], Buffer.from('{}')),
    );
    expect(fake.callsTo('/sideband/response').map((call) => call.body.body)).toEqual([undefined, '<a/>', undefined]);
  });
});
