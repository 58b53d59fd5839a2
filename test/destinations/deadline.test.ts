import t from 'tap';
import { Deadline } from '../../src/destinations/deadline.js';
import { RetryableError } from '../../src/destinations/errors.js';

const live = new AbortController().signal;

t.test('watch fires at the deadline, and the error says timed out', async (t) => {
  const deadline = new Deadline(live, 50);
  await new Promise<void>((resolve) => deadline.watch(resolve));
  t.equal(deadline.aborted, true);
  t.equal(deadline.error().message, 'timed out after 50ms');
  t.throws(() => deadline.check(), RetryableError);
});

t.test('watch fires when the outer signal aborts', async (t) => {
  const outer = new AbortController();
  const deadline = new Deadline(outer.signal, 600_000);
  const fired = new Promise<void>((resolve) => deadline.watch(resolve));
  outer.abort();
  await fired;
  t.equal(deadline.error().message, 'delivery aborted');
});

t.test('a watch on an already-aborted signal fires at once', async (t) => {
  let fired = false;
  new Deadline(AbortSignal.abort(), 600_000).watch(() => (fired = true));
  t.equal(fired, true);
});

t.test('a cancelled watch does not fire', async (t) => {
  const outer = new AbortController();
  let fired = 0;
  const deadline = new Deadline(outer.signal, 20);
  deadline.watch(() => fired++)();
  const other = new Promise<void>((resolve) => new Deadline(outer.signal, 600_000).watch(resolve));
  outer.abort();
  await other;
  await new Promise((resolve) => setTimeout(resolve, 40));
  t.equal(fired, 0);
});

t.test('many watches on one signal: no listener warning, all fire', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const outer = new AbortController();
  const all = Array.from(
    { length: 50 },
    () => new Promise<void>((resolve) => new Deadline(outer.signal, 600_000).watch(resolve)),
  );
  outer.abort();
  await Promise.all(all);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
    [],
  );
});

t.test('signal aborts at the deadline too (for clients that take one)', async (t) => {
  const deadline = new Deadline(live, 30);
  // AbortSignal.timeout does not keep the process alive on its own.
  const keepAlive = setTimeout(() => {}, 10_000);
  await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve, { once: true }));
  clearTimeout(keepAlive);
  t.equal(deadline.error().message, 'timed out after 30ms');
});
