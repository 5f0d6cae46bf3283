import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { DenyListStore } from './deny-lists';
import { clientIdentifiers } from './identifiers';
import { type ResolvedOptions, resolveOptions } from './options';
import { headerValues, isResponsePayload, readRequestPayload } from './payload';
import { findApi } from './routing';
import type { AseDenyLists, AseEmulator, AseEmulatorOptions, AseFault, AseRecord } from './types';

/** What the emulator answers: a status and an optional text or JSON body. */
interface Reply {
  readonly status: number;
  readonly text?: string;
  readonly json?: unknown;
  /** Close the connection after answering, e.g. when an oversized body was left unread. */
  readonly close?: boolean;
}

const phases: Readonly<Record<string, AseRecord['phase']>> = { '/ase/request': 'request', '/ase/response': 'response' };

// Bodies follow ASE's blocked-request table (protocol reference §4); clients act on the status only.
const malformed: Reply = { status: 400, text: 'Error: Malformed Request' };
const unknownApi: Reply = { status: 503, text: 'Error: Unknown API' };
const denied: Reply = { status: 403, text: 'Error: Unauthorized' };
const badToken: Reply = { status: 401, text: 'Error: Invalid ASE-Token' };
const tooLarge: Reply = { status: 413, text: 'Error: Payload Too Large', close: true };
const notFound: Reply = { status: 404, text: 'Error: Not Found' };
const allowed: Reply = { status: 200 };
// Real decoys answer with their configured `response_message`; a marker body lets demos and tests see it.
const decoyReply: Reply = { status: 200, json: { decoy: true } };
const health: Reply = { status: 200, json: { status: 'ok', mode: 'sideband', emulator: true } };

/**
 * Starts an ASE-compatible sideband emulator (PingIntelligence API Security Enforcer, protocol reference
 * §11.10) so demos and tests run without proprietary software.
 *
 * Endpoints: `POST /ase/request` answers a verdict (200 allow, `{"decoy":true}` for decoy APIs, 403 deny
 * listed, 503 unknown API, 400 malformed, 401 bad token, 413 oversized); `POST /ase/response` answers 200
 * (400 when malformed); `GET /ase` is the health check (200 JSON, no token needed, like a load balancer
 * probe); anything else is 404.
 * @param options - listening address, TLS, token, API definitions, deny lists, limits
 * @returns the running emulator, already listening
 * @throws TypeError for invalid options; the listen error (e.g. `EADDRINUSE`) when the port is taken
 */
export async function startAseEmulator(options: AseEmulatorOptions = {}): Promise<AseEmulator> {
  const emulator = new Emulator(resolveOptions(options));
  await emulator.listen();
  return emulator;
}

class Emulator implements AseEmulator {
  readonly #settings: ResolvedOptions;
  readonly #server: Server;
  readonly #denyLists: DenyListStore;
  readonly #tokenDigest: Buffer | undefined;
  readonly #records: AseRecord[] = [];
  readonly #sockets = new Set<Socket>();
  #connections = 0;
  #fault: AseFault = 'normal';
  #url = '';
  #closing: Promise<void> | undefined;

  constructor(settings: ResolvedOptions) {
    this.#settings = settings;
    this.#denyLists = new DenyListStore(settings.denyLists);
    this.#tokenDigest = settings.token === undefined ? undefined : digest(settings.token);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        // Reached only on a client that went away mid-body or a write after destroy: nothing to answer.
        if (!res.headersSent && !res.destroyed) this.#send(res, { status: 500, text: 'Error: Internal' });
        else res.destroy();
      });
    };
    this.#server = settings.tls
      ? createHttpsServer({ cert: settings.tls.cert, key: settings.tls.key }, handler)
      : createHttpServer(handler);
    // The raw TCP socket (also for HTTPS): counted to prove keep-alive, tracked so close() can end hangs.
    this.#server.on('connection', (socket: Socket) => {
      this.#connections++;
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return this.#url;
  }

  get records(): readonly AseRecord[] {
    return [...this.#records];
  }

  get connections(): number {
    return this.#connections;
  }

  async listen(): Promise<void> {
    const { host, port, tls } = this.#settings;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    this.#url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  }

  deny(list: keyof AseDenyLists, value: string): void {
    this.#denyLists.add(list, value);
  }

  allow(list: keyof AseDenyLists, value: string): void {
    this.#denyLists.remove(list, value);
  }

  clearRecords(): void {
    this.#records.length = 0;
  }

  setFault(fault: AseFault): void {
    if (typeof fault === 'object') {
      if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
        throw new RangeError('Fault status must be an integer from 200 to 599');
      }
      this.#fault = { status: fault.status };
    } else if (fault === 'normal' || fault === 'hang' || fault === 'garbage') {
      this.#fault = fault;
    } else {
      throw new RangeError(`Unknown fault "${String(fault)}"`);
    }
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // server.close() waits for open connections; destroying them ends hung and keep-alive calls at once.
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = this.#fault;
    if (fault === 'hang') return; // The socket stays open until the client gives up or close() runs.
    if (fault === 'garbage') {
      req.socket.end('\u0000\u00ffNOT-HTTP ?? garbage\r\n\r\n', () => req.socket.destroy());
      return;
    }
    if (fault !== 'normal') {
      this.#send(res, { status: fault.status, text: `Error: Injected fault ${fault.status}` });
      return;
    }

    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/ase' && req.method === 'GET') return this.#send(res, health);
    const phase = req.method === 'POST' ? phases[path] : undefined;
    if (phase === undefined) return this.#send(res, notFound);

    const token = single(req.headers['ase-token']);
    const correlationId = single(req.headers['x-correlationid']);
    const answer = (reply: Reply, body: unknown) => {
      this.#record({ phase, correlationId, token, body, verdict: reply.status, at: Date.now() });
      this.#send(res, reply);
    };
    // Checked before the body is read, so an unauthenticated caller costs no parsing.
    if (
      this.#tokenDigest !== undefined &&
      (token === undefined || !timingSafeEqual(digest(token), this.#tokenDigest))
    ) {
      return answer(badToken, undefined);
    }
    const raw = await readBody(req, this.#settings.maxBodyBytes);
    if (raw === undefined) return answer(tooLarge, undefined);
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return answer(malformed, text);
    }
    if (phase === 'response') return answer(isResponsePayload(body) ? allowed : malformed, body);
    answer(this.#verdict(body), body);
  }

  /** The request-phase verdict: route, then deny lists, then decoy, as ASE blocks listed clients everywhere. */
  #verdict(body: unknown): Reply {
    const payload = readRequestPayload(body);
    if (payload === undefined) return malformed;
    const api = findApi(this.#settings.apis, headerValues(payload.headers, 'host')[0], payload.url);
    if (api === undefined) return unknownApi;
    if (this.#denyLists.firstDenied(clientIdentifiers(payload, api)) !== undefined) return denied;
    if (api.decoy === true) {
      this.#denyLists.add('ip', payload.sourceIp);
      return decoyReply;
    }
    return allowed;
  }

  #record(record: AseRecord): void {
    const max = this.#settings.maxRecords;
    this.#records.push(record);
    if (this.#records.length > max) this.#records.splice(0, this.#records.length - max);
  }

  #send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed || res.writableEnded) return;
    const body =
      reply.json !== undefined
        ? JSON.stringify(reply.json)
        : reply.status === 204 || reply.status === 304
          ? ''
          : (reply.text ?? '');
    const headers: Record<string, string | number> = {
      server: 'ASE (Sideguard emulator)',
      'content-length': Buffer.byteLength(body),
    };
    if (body !== '')
      headers['content-type'] = reply.json !== undefined ? 'application/json' : 'text/plain; charset=utf-8';
    // Node closes the socket after a response carrying `Connection: close`.
    if (!this.#settings.keepAlive || reply.close === true) headers.connection = 'close';
    res.writeHead(reply.status, headers);
    res.end(body);
  }
}

/**
 * Reads a body up to a size limit.
 * @returns the bytes, or `undefined` once the body exceeds the limit (the rest is discarded unread)
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  // A declared oversize body is refused before any of it is read; Node drains it after the answer.
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        settled = true;
        chunks.length = 0;
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    req.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error('The client closed the connection before sending the whole body'));
    });
  });
}

/** A header's value; Node joins repeated unknown headers, so an array appears only for a few known names. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Fixed-length digests make the token comparison constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
