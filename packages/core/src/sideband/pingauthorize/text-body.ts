/** A charset whose bytes every reader decodes as the engine does (UTF-8); `us-ascii` only when all bytes are ASCII. */
export type TextCharset = 'utf-8' | 'us-ascii';

/** The charset a lower-cased `charset` value names, if it is one of {@link TextCharset}. */
function textCharset(value: string): TextCharset | undefined {
  // A common alias: decoders that accept it (iconv-lite, Java, Python) read UTF-8; others refuse it themselves.
  if (value === 'utf-8' || value === 'utf8') return 'utf-8';
  return value === 'us-ascii' ? 'us-ascii' : undefined;
}

/** Fatal, so invalid bytes are refused instead of becoming U+FFFD that the app would never see. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The charset a message's `Content-Type` lines declare: `undefined` when none does, `'utf-8'` (also
 * for `utf8`) or `'us-ascii'` when all that do agree on one of these, `false` for anything else
 * (another charset, or several different ones — a framework may take the last while this reads the first). Values are
 * case-insensitive and may be quoted. Parameters are split on `;` without regard to quoting, which
 * only ever finds more `charset` parameters than a strict parser, never fewer.
 * @param contentTypes - every `Content-Type` value of the message
 */
export function declaredCharset(contentTypes: readonly string[]): TextCharset | undefined | false {
  let found: TextCharset | undefined;
  for (const contentType of contentTypes) {
    for (const parameter of contentType.split(';').slice(1)) {
      const equals = parameter.indexOf('=');
      if (equals === -1 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
      let value = parameter
        .slice(equals + 1)
        .trim()
        .toLowerCase();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      const charset = textCharset(value);
      if (charset === undefined || (found !== undefined && found !== charset)) return false;
      found = charset;
    }
  }
  return found;
}

/**
 * A body as text exactly as a UTF-8 reader sees it; `undefined` when it is not valid UTF-8 (so the
 * engine would judge other text than the app reads), when a declared `us-ascii` body has bytes past
 * 0x7F (some decoders drop their high bit), or when it looks like UTF-16 or UTF-32 without a BOM (a
 * NUL in the first two bytes, RFC 4627 §3: parsers such as Jackson detect those encodings that way).
 * UTF-16 and UTF-32 BOMs are never valid UTF-8. A UTF-8 BOM is left out of the text, as JSON and
 * form parsers skip it too.
 * @param bytes - the body
 * @param charset - the declared charset, from {@link declaredCharset}
 */
export function bodyText(bytes: Uint8Array, charset: TextCharset | undefined): string | undefined {
  if (bytes[0] === 0 || bytes[1] === 0) return undefined;
  if (charset === 'us-ascii' && bytes.some((byte) => byte > 0x7f)) return undefined;
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
