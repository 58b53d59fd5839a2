import t from 'tap';
import { Batcher } from '../../src/destinations/batcher.js';
import { Deadline } from '../../src/destinations/deadline.js';
import { RetryableError } from '../../src/destinations/errors.js';

/**
 * When the batcher sends, told by event-loop order rather than by a clock: a linger of
 * an hour makes "waited for the linger" and "sent on the next turn" impossible to confuse.
 */
const HOUR = 3_600_000;
const live = new AbortController().signal;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function batcher(options: { lingerMs?: number; maxEntries?: number } = {}) {
  const calls: { inputs: string[]; answer: (outcomes: (string | Error)[]) => void }[] = [];
  const b = new Batcher<string, string>({
    maxEntries: options.maxEntries ?? 10,
    maxBytes: 1024,
    lingerMs: options.lingerMs ?? HOUR,
    timeoutMs: HOUR,
    send: (inputs) => new Promise((answer) => calls.push({ inputs, answer })),
    callError: (err) => new RetryableError(String(err)),
  });
  return { b, calls };
}

t.test('a lone entry is sent on the next turn of the event loop, not after the linger', async (t) => {
  const { b, calls } = batcher();
  t.teardown(() => b.close());
  const sent = b.add('a', 1, new Deadline(live, HOUR));
  t.equal(calls.length, 0, 'not within add() itself: same-turn adds can still join');
  const joined = b.add('b', 1, new Deadline(live, HOUR));
  await nextTurn();
  t.same(
    calls.map((c) => c.inputs),
    [['a', 'b']],
    'one call, on the next turn, with both same-turn entries',
  );
  calls[0]!.answer(['A', 'B']);
  t.same(await Promise.all([sent, joined]), ['A', 'B'], 'each gets its own outcome');
});

t.test('while a call is in flight, the next entry waits for company (the linger)', async (t) => {
  const { b, calls } = batcher({ maxEntries: 3 });
  t.teardown(() => b.close());
  const first = b.add('a', 1, new Deadline(live, HOUR));
  await nextTurn();
  t.equal(calls.length, 1);
  const lingering = b.add('b', 1, new Deadline(live, HOUR));
  await nextTurn();
  await nextTurn();
  t.equal(calls.length, 1, 'a call in flight: the new entry lingers');
  const company = ['c', 'd'].map((x) => b.add(x, 1, new Deadline(live, HOUR)));
  t.same(
    calls.map((c) => c.inputs),
    [['a'], ['b', 'c', 'd']],
    'the second call went as soon as maxEntries were waiting',
  );
  calls[0]!.answer(['A']);
  calls[1]!.answer(['B', 'C', 'D']);
  t.same(await Promise.all([first, lingering, ...company]), ['A', 'B', 'C', 'D']);

  const inFlight = b.add('e', 1, new Deadline(live, HOUR));
  await nextTurn();
  const left = b.add('f', 1, new Deadline(live, HOUR));
  b.close();
  await t.rejects(left, /destination closed/, 'a lingering entry fails as retryable on close');
  calls[2]!.answer(['E']);
  t.equal(await inFlight, 'E', 'a call in flight finishes on its own');
});
