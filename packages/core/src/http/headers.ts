/** One header line as received: name in its original case, value as sent. */
export type HeaderEntry = readonly [name: string, value: string];

/** Header lines in the order received, duplicates kept as separate entries. */
export type HeaderList = readonly HeaderEntry[];

/**
 * The first value of a header, matched case-insensitively.
 * @param headers - the header list
 * @param name - the header name, lower case
 */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  for (const [key, value] of headers) {
    if (key.length === name.length && key.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * Every value of a header, in order, matched case-insensitively.
 * @param headers - the header list
 * @param name - the header name, lower case
 */
export function headerValues(headers: HeaderList, name: string): string[] {
  const values: string[] = [];
  for (const [key, value] of headers) {
    if (key.length === name.length && key.toLowerCase() === name) values.push(value);
  }
  return values;
}
