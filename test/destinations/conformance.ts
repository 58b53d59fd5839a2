import t from 'tap';
import { PermanentError, RetryableError } from '../../src/destinations/errors.js';
import type { Destination } from '../../src/destinations/types.js';
import { formatRecord, type RecordFormat } from '../../src/record/format.js';
import { sampleRecord } from './record.js';

/** One item as the destination's far end received it. */
export interface Delivered {
  bytes: Buffer;
  /** Where the transport carries one (HTTP). */
  contentType?: string;
  /** The event id as the transport's own metadata carries it (header, attribute, resource). */
  eventId?: string;
}

/**
 * What each destination type provides to the shared suite: a real target (local
 * server or emulator) and ways to make it fail transiently, permanently or hang.
 */
export interface ConformanceTarget {
  /** A destination delivering to the healthy target. */
  destination(options: { format: RecordFormat; timeoutMs?: number }): Destination;
  /** The next item the target received (waits for it). */
  nextDelivered(): Promise<Delivered>;
  /** The next request to the target meets a transient failure (5xx, throttling) and delivers nothing. */
  failNext(): void;
  /** A destination whose sends fail permanently, and what the error should say. */
  broken(): { destination: Destination; message: RegExp };
  /** The next request reaches the target and is never answered; resolves once it has arrived. */
  stallNext(): Promise<void>;
  close(): Promise<void>;
}

const FORMATS: RecordFormat[] = ['envelope', 'body', 'request'];

/** The error a send rejects with; a send that succeeds fails the test. */
export async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the send to fail, it succeeded');
}

export function conformance(type: string, setup: () => Promise<ConformanceTarget>): void {
  t.test(`${type} destination conformance`, async (t) => {
    const target = await setup();
    t.teardown(() => target.close());
    const live = new AbortController().signal;

    for (const format of FORMATS) {
      t.test(`delivers the exact formatted record (format: ${format})`, async (t) => {
        const destination = target.destination({ format });
        const record = sampleRecord();
        await destination.send(record, live);
        const delivered = await target.nextDelivered();
        const expected = formatRecord(record, format);
        t.equal(delivered.bytes.toString('utf8'), expected.bytes.toString('utf8'));
        t.ok(delivered.bytes.equals(expected.bytes), 'byte for byte');
        if (delivered.contentType !== undefined) t.equal(delivered.contentType, expected.contentType);
        if (delivered.eventId !== undefined) t.equal(delivered.eventId, record.id);
      });
    }

    t.test('a transient failure is retryable and a later send succeeds', async (t) => {
      const destination = target.destination({ format: 'envelope' });
      const record = sampleRecord();
      target.failNext();
      const err = await errorOf(destination.send(record, live));
      t.ok(err instanceof RetryableError, `RetryableError, got ${err.name}: ${err.message}`);
      await destination.send(record, live);
      const delivered = await target.nextDelivered();
      t.equal(delivered.bytes.toString('utf8'), formatRecord(record, 'envelope').text);
    });

    t.test('a permanent failure is a PermanentError that says why', async (t) => {
      const { destination, message } = target.broken();
      const err = await errorOf(destination.send(sampleRecord(), live));
      t.ok(err instanceof PermanentError, `PermanentError, got ${err.name}: ${err.message}`);
      t.match(err.message, message);
      await destination.close();
    });

    t.test('the destination timeout aborts a stalled send as retryable', async (t) => {
      const destination = target.destination({ format: 'envelope', timeoutMs: 300 });
      const arrived = target.stallNext();
      const err = await errorOf(destination.send(sampleRecord(), live));
      await arrived;
      t.ok(err instanceof RetryableError, `RetryableError, got ${err.name}: ${err.message}`);
      t.match(err.message, /timed out after 300ms/);
    });

    t.test("the caller's AbortSignal aborts a stalled send", async (t) => {
      const destination = target.destination({ format: 'envelope', timeoutMs: 600_000 });
      const arrived = target.stallNext();
      const controller = new AbortController();
      const sending = errorOf(destination.send(sampleRecord(), controller.signal));
      await arrived;
      controller.abort();
      const err = await sending;
      t.ok(err instanceof RetryableError, `RetryableError, got ${err.name}: ${err.message}`);
      t.match(err.message, /aborted/);
    });
  });
}
