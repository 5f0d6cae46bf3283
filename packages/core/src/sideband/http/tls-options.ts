import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Logger } from '../../telemetry/logger';

/** TLS settings of the sideband client; they apply to `https:` endpoints only. */
export interface SidebandTlsOptions {
  /**
   * Extra CAs to trust besides Node's bundled Mozilla roots: PEM text, or file contents as a Buffer in PEM
   * or DER form (PEM is recognised by its `-----BEGIN` line).
   */
  ca?: (string | Buffer)[];
  /** Paths of CA files (`.pem`, `.crt`, `.cer`, in PEM or DER form), read once when the client is created. */
  caFiles?: string[];
  /** Client certificate (PEM) for mTLS; give at most one of `cert` and `certFile`. */
  cert?: string | Buffer;
  /** Private key (PEM) of the client certificate; give at most one of `key` and `keyFile`. */
  key?: string | Buffer;
  /** Path of the client certificate file (PEM). */
  certFile?: string;
  /** Path of the client key file (PEM). */
  keyFile?: string;
  /** Passphrase of an encrypted client key. */
  passphrase?: string;
  /**
   * Verify the server certificate (default `true`). `false` is an explicit opt-in for tests and broken
   * deployments; the client logs a warning when created with it.
   */
  rejectUnauthorized?: boolean;
}

/** TLS settings after files were read and contents checked, ready for `tls.connect`. */
export interface ResolvedTls {
  /**
   * One context holding the trusted CAs (bundled roots plus the extras) and the client certificate, shared by
   * every connection; `undefined` for Node's defaults. Without it Node would build a context per connection,
   * parsing the ~150 root certificates each time (about 20 ms of CPU).
   */
  readonly secureContext: SecureContext | undefined;
  /** Whether the server certificate is verified. */
  readonly rejectUnauthorized: boolean;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function fail(message: string, cause?: unknown): never {
  throw new Error(`Sideband TLS: ${message}`, cause === undefined ? undefined : { cause });
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown error';
}

function readFile(path: unknown, option: string): Buffer {
  if (typeof path !== 'string' || path === '') fail(`\`${option}\` must be a non-empty file path`);
  try {
    return readFileSync(path);
  } catch (error) {
    // The path is configuration, not a secret; the contents are never echoed.
    fail(`cannot read \`${option}\` file '${path}' (${errorCode(error)})`, error);
  }
}

function isPem(contents: string | Buffer): boolean {
  const text = typeof contents === 'string' ? contents : contents.subarray(0, 64).toString('utf8');
  // A byte-order mark or leading blank lines are common in files exported by Windows tools.
  return text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('-----BEGIN');
}

/**
 * Turns one CA source into PEM certificates, checking that each parses. A PEM bundle yields one entry per
 * certificate; a DER file holds exactly one.
 */
function caCertificates(contents: string | Buffer, source: string): string[] {
  if (typeof contents !== 'string' && !Buffer.isBuffer(contents)) fail(`${source} must be a string or a Buffer`);
  if (!isPem(contents)) {
    if (typeof contents === 'string') fail(`${source} is not PEM text (DER is accepted as a Buffer or file only)`);
    try {
      return [new X509Certificate(contents).toString()];
    } catch (error) {
      fail(`${source} is neither a PEM nor a DER certificate`, error);
    }
  }
  const blocks = (typeof contents === 'string' ? contents : contents.toString('utf8')).match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) fail(`${source} contains no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      fail(`${source} contains an invalid certificate`, error);
    }
  }
  return blocks;
}

function pemInput(
  value: string | Buffer | undefined,
  path: string | undefined,
  name: 'cert' | 'key',
): string | Buffer | undefined {
  const fileOption = `${name}File`;
  if (value !== undefined && path !== undefined) fail(`give either \`${name}\` or \`${fileOption}\`, not both`);
  if (path !== undefined) return readFile(path, fileOption);
  if (value !== undefined && typeof value !== 'string' && !Buffer.isBuffer(value)) {
    fail(`\`${name}\` must be PEM text or a Buffer`);
  }
  return value;
}

/**
 * Reads and checks the TLS settings once, when the client is created, so a bad file or key fails at
 * startup rather than on the first call. Logs a warning when certificate verification is turned off.
 * @param options - the TLS options, if any
 * @param logger - where the warning goes
 * @throws Error naming the offending option (never the contents of a key)
 */
export function resolveTlsOptions(options: SidebandTlsOptions | undefined, logger: Logger): ResolvedTls {
  const tls = options ?? {};
  const extras: string[] = [];
  if (tls.ca !== undefined) {
    if (!Array.isArray(tls.ca)) fail('`ca` must be a list');
    tls.ca.forEach((entry, index) => {
      extras.push(...caCertificates(entry, `\`ca[${index}]\``));
    });
  }
  if (tls.caFiles !== undefined) {
    if (!Array.isArray(tls.caFiles)) fail('`caFiles` must be a list of paths');
    tls.caFiles.forEach((path, index) => {
      extras.push(...caCertificates(readFile(path, `caFiles[${index}]`), `CA file '${path}'`));
    });
  }
  const cert = pemInput(tls.cert, tls.certFile, 'cert');
  const key = pemInput(tls.key, tls.keyFile, 'key');
  if ((cert === undefined) !== (key === undefined)) fail('a client certificate needs both a certificate and a key');
  if (tls.passphrase !== undefined && typeof tls.passphrase !== 'string') fail('`passphrase` must be a string');
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    fail('`rejectUnauthorized` must be a boolean');
  }
  if (cert !== undefined && key !== undefined) {
    try {
      // Catches a wrong passphrase, a malformed PEM or a key that does not match the certificate.
      createSecureContext({ cert, key, passphrase: tls.passphrase });
    } catch (error) {
      fail(`the client certificate and key cannot be used (${errorCode(error)})`, error);
    }
  }
  const rejectUnauthorized = tls.rejectUnauthorized !== false;
  let secureContext: SecureContext | undefined;
  if (extras.length > 0 || cert !== undefined) {
    try {
      secureContext = createSecureContext({
        // Node replaces its default trust store when `ca` is given, so the extras join the bundled roots.
        ca: extras.length === 0 ? undefined : [...rootCertificates, ...extras],
        cert,
        key,
        passphrase: tls.passphrase,
      });
    } catch (error) {
      fail(`the TLS settings cannot be used (${errorCode(error)})`, error);
    }
  }
  if (!rejectUnauthorized) {
    logger.warn(
      { component: 'sideband' },
      'Sideband TLS certificate verification is disabled (rejectUnauthorized: false); use only for testing',
    );
  }
  return Object.freeze({ secureContext, rejectUnauthorized });
}
