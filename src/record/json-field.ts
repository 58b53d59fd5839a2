/**
 * One field of a JSON body, read without parsing the body. The ingress needs only a
 * field or two (a provider's event id, Slack's challenge), but `JSON.parse` builds
 * every value: ~20 ms of CPU for a 1 MB event with a few thousand line items, several
 * hundred for one nested a few hundred thousand levels deep, during which the process
 * answers nobody.
 *
 * `jsonField` walks the text from the start, skipping (and checking) the values it
 * does not need, and stops at the field: an event id that comes first, as providers
 * put it, costs next to nothing whatever follows. It never recurses (nested values are
 * skipped with an explicit stack), and at worst reads the text once. The first
 * occurrence of a repeated key wins (JSON.parse keeps the last); a text that turns out
 * malformed before the field is found gives undefined.
 */
export function jsonField(
  text: string,
  path: readonly string[],
): string | number | boolean | null | undefined {
  let i = skipSpace(text, 0);
  for (let depth = 0; depth < path.length; depth++) {
    if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
    i = findMember(text, skipSpace(text, i + 1), path[depth]!);
    if (i < 0) return undefined;
  }
  const end = skipValue(text, i);
  if (end < 0 || isContainer(text.charCodeAt(i))) return undefined;
  // `{"id":01}`: the value must end where a value can.
  const next = text.charCodeAt(skipSpace(text, end));
  if (next !== COMMA && next !== CLOSE_OBJECT) return undefined;
  return scalar(text, i, end);
}

/**
 * A JSON object text as the steps that read a field or two of a body see it: an object
 * whose members are looked up in the text when first read (`view.type`,
 * `Object.hasOwn(view, 'event')`), objects within being views too. Arrays within read
 * as absent, and so do `__proto__` and a `constructor` object (secure-json-parse's
 * rule). Read-only, and its keys cannot be listed. Undefined when the text does not
 * start as an object.
 */
export function jsonView(text: string): Record<string, unknown> | undefined {
  const start = skipSpace(text, 0);
  return text.charCodeAt(start) === OPEN_OBJECT ? view(text, start) : undefined;
}

function view(text: string, start: number): Record<string, unknown> {
  const seen = new Map<string, unknown>();
  const lookup = (key: string | symbol): unknown => {
    if (typeof key !== 'string' || key === '__proto__') return undefined;
    if (seen.has(key)) return seen.get(key);
    let value: unknown;
    const i = findMember(text, skipSpace(text, start + 1), key);
    const end = i < 0 ? -1 : skipValue(text, i);
    const next = end < 0 ? -1 : text.charCodeAt(skipSpace(text, end));
    if (next === COMMA || next === CLOSE_OBJECT) {
      const c = text.charCodeAt(i);
      if (c === OPEN_OBJECT) value = key === 'constructor' ? undefined : view(text, i);
      else if (c !== OPEN_ARRAY) value = scalar(text, i, end);
    }
    seen.set(key, value);
    return value;
  };
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_target, key) => lookup(key),
    has: (_target, key) => lookup(key) !== undefined,
    getOwnPropertyDescriptor: (_target, key) => {
      const value = lookup(key);
      return value === undefined
        ? undefined
        : { value, writable: false, enumerable: true, configurable: true };
    },
    ownKeys: () => [],
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/**
 * Inside an object (`i` just past `{` and spaces), the start of `key`'s value, or -1
 * when the object has no such member or is malformed before it.
 */
function findMember(text: string, i: number, key: string): number {
  if (text.charCodeAt(i) === CLOSE_OBJECT) return -1;
  for (;;) {
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return -1;
    const found = scalar(text, i, keyEnd) === key;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return -1;
    i = skipSpace(text, i + 1);
    if (found) return i;
    i = skipValue(text, i);
    if (i < 0) return -1;
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/** A valid string, number or literal. */
function scalar(text: string, start: number, end: number): string | number | boolean | null {
  const c = text.charCodeAt(start);
  if (c === QUOTE) {
    const inner = text.slice(start + 1, end - 1);
    return inner.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : inner;
  }
  if (c === 0x74) return true;
  if (c === 0x66) return false;
  if (c === 0x6e) return null;
  return Number(text.slice(start, end));
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;

const isContainer = (c: number) => c === OPEN_OBJECT || c === OPEN_ARRAY;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The index after the string starting at `i`, or -1. A plain loop: ~3x faster here than a sticky regex. */
function skipString(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) return -1;
  const n = text.length;
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return -1;
    if (c !== BACKSLASH) continue;
    const e = text.charCodeAt(++i);
    if (e === 0x75) {
      // \uXXXX
      for (let k = 1; k <= 4; k++) if (!isHex(text.charCodeAt(i + k))) return -1;
      i += 4;
    } else if (!(
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    )) {
      return -1;
    }
  }
  return -1;
}

const BACKSLASH = 0x5c;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` from `i`: the index after it, or -1. */
function skipNumber(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x2d) i++;
  let c = text.charCodeAt(i);
  if (c === 0x30) c = text.charCodeAt(++i);
  else if (isDigit(c)) while (isDigit((c = text.charCodeAt(++i))));
  else return -1;
  if (c === 0x2e) {
    if (!isDigit(text.charCodeAt(++i))) return -1;
    while (isDigit((c = text.charCodeAt(++i))));
  }
  if (c === 0x65 || c === 0x45) {
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!isDigit(c)) return -1;
    while (isDigit(text.charCodeAt(++i)));
  }
  return i;
}

function skipScalar(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x74) return text.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return text.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e) return text.startsWith('null', i) ? i + 4 : -1;
  return skipNumber(text, i);
}

/**
 * The index after the JSON value starting at `i`, or -1 when it is not valid JSON.
 * Nested containers are tracked on an explicit stack: depth costs memory, not the
 * call stack.
 */
function skipValue(text: string, i: number): number {
  const closers: number[] = [];
  for (;;) {
    // Here a value must start.
    const c = text.charCodeAt(i);
    if (c === OPEN_OBJECT) {
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) === CLOSE_OBJECT) {
        i++;
      } else {
        closers.push(CLOSE_OBJECT);
        i = memberValue(text, i);
        if (i < 0) return -1;
        continue;
      }
    } else if (c === OPEN_ARRAY) {
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) === CLOSE_ARRAY) {
        i++;
      } else {
        closers.push(CLOSE_ARRAY);
        continue;
      }
    } else {
      i = skipScalar(text, i);
      if (i < 0) return -1;
    }
    // A value has ended: close containers, or move to the next member or element.
    for (;;) {
      if (closers.length === 0) return i;
      i = skipSpace(text, i);
      const next = text.charCodeAt(i);
      const closer = closers[closers.length - 1]!;
      if (next === closer) {
        closers.pop();
        i++;
        continue;
      }
      if (next !== COMMA) return -1;
      i = skipSpace(text, i + 1);
      if (closer === CLOSE_OBJECT) {
        i = memberValue(text, i);
        if (i < 0) return -1;
      }
      break;
    }
  }
}

/** Past `"key" :` at `i`, to where the member's value starts; -1 if malformed. */
function memberValue(text: string, i: number): number {
  i = skipString(text, i);
  if (i < 0) return -1;
  i = skipSpace(text, i);
  if (text.charCodeAt(i) !== COLON) return -1;
  return skipSpace(text, i + 1);
}
