export type JsonParseOutcome = { readonly kind: 'ok'; readonly value: unknown } | { readonly kind: 'malformed' } | { readonly kind: 'too-deep' };

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * `JSON.parse` with a bound on nesting. A deeply nested body parses fine, then
 * overflows the stack of whatever walks it next (a validator, a serializer),
 * so the depth is checked on the text first: one pass over the characters,
 * skipped for bodies too short to nest that deep.
 */
export function parseJson(text: string, maxDepth: number): JsonParseOutcome {
  if (text.length > maxDepth && openersExceed(text, maxDepth) && nestingExceeds(text, maxDepth)) return { kind: 'too-deep' };
  try {
    return { kind: 'ok', value: JSON.parse(text) };
  } catch {
    return { kind: 'malformed' };
  }
}

/**
 * Whether the text holds more than `maxDepth` opening brackets at all, counted
 * with native `indexOf`: a typical request has a dozen, so it cannot nest too
 * deep and the character-by-character walk below (a visible share of a
 * request's CPU) is skipped.
 */
function openersExceed(text: string, maxDepth: number): boolean {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let at = text.indexOf(opener); at !== -1; at = text.indexOf(opener, at + 1)) {
      count += 1;
      if (count > maxDepth) return true;
    }
  }
  return false;
}

/** Whether brackets outside strings nest deeper than `maxDepth` (malformed text is left to the parser). */
function nestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}
