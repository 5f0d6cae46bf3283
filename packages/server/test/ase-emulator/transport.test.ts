import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { testTls } from '../../../../tools/test-utils/tls';
import { type AseEmulator, type AseEmulatorOptions, startAseEmulator } from '../../src/ase-emulator/index';
import { call, requestPayload } from './helpers';

const started: AseEmulator[] = [];
async function start(options: AseEmulatorOptions = {}): Promise<AseEmulator> {
  const emulator = await startAseEmulator(options);
  started.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

describe('ASE emulator connections', () => {
  it('keeps connections alive by default: many calls, one connection', async () => {
    const ase = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const reply = await call(ase.url, { body: requestPayload(), agent });
        expect(reply.status).toBe(200);
        expect(reply.headers.connection).toBe('keep-alive');
      }
      expect(ase.connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('answers Connection: close when keep-alive is off', async () => {
    const ase = await start({ keepAlive: false });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await call(ase.url, { body: requestPayload(), agent });
        expect(reply).toMatchObject({ status: 200, headers: { connection: 'close' } });
      }
      expect((await call(ase.url, { path: '/ase', agent })).headers.connection).toBe('close');
      expect(ase.connections).toBe(4);
    } finally {
      agent.destroy();
    }
  });

  it('serves HTTPS with the given certificate', async () => {
    const ase = await start({ tls: { cert: testTls.cert, key: testTls.key } });
    expect(ase.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: testTls.ca });
    try {
      for (let i = 0; i < 3; i++) expect((await call(ase.url, { body: requestPayload(), agent })).status).toBe(200);
      expect(ase.connections).toBe(1);
    } finally {
      agent.destroy();
    }
    const viaLocalhost = ase.url.replace('127.0.0.1', 'localhost');
    expect((await call(viaLocalhost, { path: '/ase', ca: testTls.ca })).status).toBe(200);
    // Clients that do not trust the test CA refuse the connection.
    await expect(call(ase.url, { path: '/ase' })).rejects.toMatchObject({
      code: expect.stringMatching(/VERIFY|CERT|SIGNED/),
    });
  });

  it('answers 413 to bodies over maxBodyBytes, declared or streamed', async () => {
    const ase = await start({ maxBodyBytes: 300 });
    const padded = (size: number) => {
      const base = JSON.stringify(requestPayload({ note: '' }));
      return JSON.stringify(requestPayload({ note: 'x'.repeat(size - base.length) }));
    };
    expect(Buffer.byteLength(padded(300))).toBe(300);
    expect((await call(ase.url, { body: padded(300) })).status).toBe(200);
    const declared = await call(ase.url, { body: padded(301) });
    expect(declared).toMatchObject({ status: 413, headers: { connection: 'close' } });
    const streamed = await call(ase.url, { body: padded(5000), headers: { 'transfer-encoding': 'chunked' } });
    expect(streamed.status).toBe(413);
    expect(ase.records.map((r) => [r.verdict, r.body])).toEqual([
      [200, expect.any(Object)],
      [413, undefined],
      [413, undefined],
    ]);
  });

  it('rejects invalid options with the path of the bad value', async () => {
    await expect(startAseEmulator({ apis: [{ name: 'a', hostname: '*', url: 'shop' }] })).rejects.toThrow(
      'apis[0].url: must start with "/"',
    );
    await expect(startAseEmulator({ port: 70000 })).rejects.toThrow(TypeError);
    await expect(startAseEmulator({ token: '' })).rejects.toThrow('token: must be a non-empty string');
    const ase = await start();
    const taken = Number(new URL(ase.url).port);
    await expect(startAseEmulator({ port: taken })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('ASE emulator faults', () => {
  it('hangs without answering, and close() still completes', async () => {
    const ase = await startAseEmulator();
    ase.setFault('hang');
    const agent = new Agent({ keepAlive: true });
    try {
      await expect(call(ase.url, { body: requestPayload(), timeoutMs: 150 })).rejects.toThrow('client timeout');
      // A call still waiting when the emulator closes fails instead of hanging forever.
      const pending = call(ase.url, { body: requestPayload(), agent });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const begin = Date.now();
      await ase.close();
      expect(Date.now() - begin).toBeLessThan(1000);
      await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' });
      await ase.close(); // idempotent
    } finally {
      agent.destroy();
    }
  });

  it('writes garbage that no HTTP client can parse', async () => {
    const ase = await start();
    ase.setFault('garbage');
    await expect(call(ase.url, { body: requestPayload() })).rejects.toMatchObject({
      code: expect.stringMatching(/^HPE_/),
    });
    ase.setFault('normal');
    expect((await call(ase.url, { body: requestPayload() })).status).toBe(200);
  });

  it('answers every call with a fixed status', async () => {
    const ase = await start();
    ase.setFault({ status: 503 });
    expect((await call(ase.url, { body: requestPayload() })).status).toBe(503);
    expect((await call(ase.url, { path: '/ase' })).status).toBe(503);
    ase.setFault({ status: 204 });
    expect(await call(ase.url, { body: requestPayload() })).toMatchObject({ status: 204, body: '' });
    expect(ase.records).toEqual([]);
    expect(() => ase.setFault({ status: 99 })).toThrow(RangeError);
    expect(() => ase.setFault('explode' as 'hang')).toThrow(RangeError);
    ase.setFault('normal');
    expect((await call(ase.url, { body: requestPayload() })).status).toBe(200);
  });
});
