import t from 'tap';
import { bodyWords, MAX_WORD_LENGTH, termQuery, tsquery, WORDS_OF_FIRST } from '../../src/event-log/words.js';

t.test('bodyWords: distinct runs of letters and digits, lower-cased', async (t) => {
  t.same(bodyWords('{"id":"evt_1ABC","note":"Café au lait, café!"}'), [
    'id',
    'evt',
    '1abc',
    'note',
    'café',
    'au',
    'lait',
  ]);
  t.same(bodyWords(''), []);
  t.same(bodyWords('--- ,,, ---'), []);
  t.same(bodyWords(`a ${'x'.repeat(MAX_WORD_LENGTH + 1)} ${'y'.repeat(MAX_WORD_LENGTH)} b`), [
    'a',
    'y'.repeat(MAX_WORD_LENGTH),
    'b',
  ]);
  t.same(bodyWords(`${'a '.repeat(WORDS_OF_FIRST / 2)}tail`), ['a'], 'only the first 100,000 characters');
});

t.test('termQuery: each word exact, the one that ends the term a prefix', async (t) => {
  t.equal(termQuery('blue wha'), "'blue' & 'wha':*");
  t.equal(termQuery('Blue wha  '), "'blue' & 'wha':*", 'trailing spaces do not end a word early');
  t.equal(termQuery('blue wha.'), "'blue' & 'wha'", 'punctuation at the end: every word exact');
  t.equal(termQuery('evt_1'), "'evt' & '1':*");
  t.equal(termQuery('blue blue'), "'blue':*", 'a word once, a prefix if it also ends the term');
  t.equal(termQuery('%_'), undefined, 'no words');
  t.equal(termQuery('x'.repeat(MAX_WORD_LENGTH + 1)), undefined, 'a run too long is no word');
});

t.test('tsquery: a quote doubled, a backslash escaped, a prefix marked', async (t) => {
  t.equal(
    tsquery(
      new Map([
        ["o'neil", false],
        ['a\\b', true],
      ]),
    ),
    "'o''neil' & 'a\\\\b':*",
  );
});
