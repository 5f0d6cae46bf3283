/** A user-id and password from a Basic `Authorization` header. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * Whether text holds a control character (U+0000–U+001F, U+007F), which RFC 7617 §2 forbids in both
 * user-id and password.
 * @param text - the text to check
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Reads Basic credentials (RFC 7617): scheme case-insensitive, strict base64, UTF-8, split on the
 * first colon so passwords may contain colons.
 * @param header - the `Authorization` header value
 * @returns the credentials, `undefined` when the header is not Basic, or `'malformed'` when it is Basic but unreadable
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space === -1 || trimmed.slice(0, space).toLowerCase() !== 'basic') return undefined;
  const token = trimmed.slice(space + 1).trim();
  if (!base64.test(token) || token.length % 4 === 1) return 'malformed';
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(token, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (username === '' || hasControlCharacter(username) || hasControlCharacter(password)) return 'malformed';
  return { username, password };
}
