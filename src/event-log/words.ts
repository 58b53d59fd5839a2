/**
 * The words `q` finds a body by, split here rather than by PostgreSQL. Its text-search
 * parser (`to_tsvector`, which the column body_words was generated with up to
 * migration 3) cost the server ~100 µs of CPU per 1.5 KB body written, a third of what
 * the log costs PostgreSQL per event; splitting here costs the writer ~30 µs, and
 * PostgreSQL then only sorts the words into a tsvector (`array_to_tsvector`).
 *
 * A word is a run of letters and digits, lower-cased: `evt_1abc` has the words `evt`
 * and `1abc`, `jane.doe@example.com` has `jane`, `doe`, `example` and `com` (PostgreSQL's
 * parser also kept the whole address, the whole host and hyphenated compounds as one
 * word). The words only choose candidate rows: a match is then checked as a substring
 * of the body, so a looser split finds the same events.
 */

/** The words of at most this many characters of a body (as the generated column did). */
export const WORDS_OF_FIRST = 100_000;

/**
 * Longer runs are not words (a base64 blob, a signature): PostgreSQL refuses a lexeme over
 * 2,047 bytes and the whole batch with it. A term's long runs are left out the same way,
 * and only the substring check finds them.
 */
export const MAX_WORD_LENGTH = 256;

const WORD = /[\p{L}\p{N}]+/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/u;

/** The distinct words of a body, for body_words. */
export function bodyWords(body: string): string[] {
  const text = body.length > WORDS_OF_FIRST ? body.slice(0, WORDS_OF_FIRST) : body;
  const words = new Set(text.toLowerCase().split(NOT_WORD));
  words.delete('');
  // Characters, not bytes: 256 characters are at most 1,024 bytes of UTF-8.
  for (const w of words) if (w.length > MAX_WORD_LENGTH) words.delete(w);
  return [...words];
}

/**
 * Words as a tsquery, all of them (`&`), each exact or, when marked, a prefix (`:*`). In
 * a tsquery lexeme a quote is doubled and a backslash escaped.
 */
export function tsquery(words: ReadonlyMap<string, boolean>): string {
  return [...words]
    .map(([w, prefix]) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'${prefix ? ':*' : ''}`)
    .join(' & ');
}

/**
 * A search term as a tsquery over body_words: each word exact, except one that ends the
 * term, which may go on (`'blue' & 'wha':*`); undefined when it has none. Exact where it
 * can be: a short common word as a prefix (`evt` of `evt_1abc`) would gather most of
 * the index.
 */
export function termQuery(term: string): string | undefined {
  const lower = term.toLowerCase().trimEnd();
  const words = new Map<string, boolean>();
  let last: string | undefined;
  for (const m of lower.matchAll(WORD)) {
    const w = m[0];
    last = m.index + w.length === lower.length ? w : undefined;
    if (w.length <= MAX_WORD_LENGTH && !words.has(w)) words.set(w, false);
  }
  if (last !== undefined && words.has(last)) words.set(last, true);
  return words.size ? tsquery(words) : undefined;
}
