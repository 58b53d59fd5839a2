import { request, type ServerResponse } from 'node:http';
import t from 'tap';
import { freePort } from '../helpers/redis-server.js';
import { call, json } from './client.js';
import { eventually, gateway } from './harness.js';
import { startUpstream } from './upstream.js';

/**
 * When the upstream does not answer properly: the caller gets a 504 or 502 in the
 * error format, and the record says Failure with the functionError that explains it.
 */
t.test('an upstream that stalls: 504 to the caller, a Timeout record', async (t) => {
  const up = await startUpstream('stall');
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url, timeout: '200ms' } } },
  });

  const answer = await call(`${gw.url}/api`, { body: '{"slow":true}' });
  t.equal(answer.status, 504);
  t.match(answer.headers['content-type'], /^application\/json/);
  t.same(json(answer), {
    error: { code: 'UPSTREAM_TIMEOUT', message: 'The upstream did not answer in time.' },
  });
  const eventId = answer.headers['hookgate-event-id'] as string;
  t.ok(eventId, 'a record exists, so the caller gets its id');

  const record = await eventually(() => gw.record(eventId));
  t.equal(record.requestContext.condition, 'Failure');
  t.same(record.responseContext, { statusCode: 504, functionError: 'Timeout' });
  t.equal(record.responsePayload.statusCode, 504);
  t.same(JSON.parse(record.responsePayload.body!), json(answer), 'the record holds what the caller got');
  t.equal(record.requestPayload.body, '{"slow":true}');
  t.equal(up.requests.length, 1);
});

t.test(
  'headers sent, then the body stalls: still a clean 504 (nothing had reached the caller)',
  async (t) => {
    const up = await startUpstream('stall-body');
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url, timeout: '200ms' } } },
    });
    const answer = await call(`${gw.url}/api`, { body: '{}' });
    t.equal(answer.status, 504);
    t.equal(answer.statusMessage, 'Gateway Timeout', "not the upstream's status line");
    t.notOk(answer.headers['content-length'] === '10', "none of the upstream's headers");
    t.equal((json(answer) as { error: { code: string } }).error.code, 'UPSTREAM_TIMEOUT');
    const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
    t.same(record.responseContext, { statusCode: 504, functionError: 'Timeout' });
  },
);

t.test('a streamed answer whose body never starts: also a clean 504', async (t) => {
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-upstream': 'yes' }).flushHeaders();
  });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url, timeout: '200ms' } } },
  });
  const answer = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(answer.status, 504);
  t.equal(answer.statusMessage, 'Gateway Timeout');
  t.notOk(answer.headers['x-upstream'], "the upstream's headers were taken back");
  t.match(answer.headers['content-type'], /^application\/json/);
  t.equal((json(answer) as { error: { code: string } }).error.code, 'UPSTREAM_TIMEOUT');
  t.ok(answer.headers['hookgate-event-id']);
  const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
  t.same(record.responseContext, { statusCode: 504, functionError: 'Timeout' });
});

t.test('nothing listening: 502 and a ConnectionError record', async (t) => {
  const port = await freePort();
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: `http://127.0.0.1:${port}/x` } } },
  });
  const answer = await call(`${gw.url}/api`, { body: 'hello' });
  t.equal(answer.status, 502);
  t.same(json(answer), {
    error: { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream could not be reached.' },
  });
  const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
  t.equal(record.requestContext.condition, 'Failure');
  t.same(record.responseContext, { statusCode: 502, functionError: 'ConnectionError' });
  t.ok(gw.logs.some((l) => l.includes('upstream call failed') && l.includes('ECONNREFUSED')));
});

t.test('an upstream that resets the connection: 502 and ConnectionError', async (t) => {
  const up = await startUpstream('hangup');
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url } } },
  });
  const answer = await call(`${gw.url}/api`, { body: '{}' });
  t.equal(answer.status, 502);
  const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
  t.same(record.responseContext, { statusCode: 502, functionError: 'ConnectionError' });
  t.equal(up.requests.length, 1, 'not retried');
});

t.test(
  'a body that fits the record is read before answering: a hang-up mid-body is a clean 502',
  async (t) => {
    const up = await startUpstream((req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('the first part');
      setImmediate(() => req.socket.destroy());
    });
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url } } },
    });
    const answer = await call(`${gw.url}/api`, { body: '{}' });
    t.equal(answer.status, 502);
    t.equal(answer.statusMessage, 'Bad Gateway');
    t.notOk(answer.headers['content-length'] === '100', "none of the upstream's headers");
    const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
    t.same(record.responseContext, { statusCode: 502, functionError: 'ConnectionError' });
    t.equal(up.requests.length, 1);
  },
);

t.test('a streamed answer cut mid-body: the caller sees the cut, the record says so', async (t) => {
  let hangUp: (() => void) | undefined;
  const up = await startUpstream((req, res: ServerResponse) => {
    // No content-length: an open-ended body is passed on as it comes.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('the first part');
    hangUp = () => req.socket.destroy();
  });
  t.teardown(() => up.close());
  const gw = await gateway(t, {
    sources: { api: { mode: 'proxy', path: '/api', upstream: { url: up.url } } },
  });

  const outcome = await new Promise<{ status: number; eventId: string; received: string; error?: string }>(
    (resolve) => {
      const req = request(`${gw.url}/api`, { method: 'POST', headers: { 'content-length': '2' } }, (res) => {
        let received = '';
        const eventId = res.headers['hookgate-event-id'] as string;
        res.on('data', (c: Buffer) => {
          received += String(c);
          // The caller has the status line and the first bytes: now the upstream goes away.
          hangUp?.();
        });
        res.on('error', (err) => resolve({ status: res.statusCode!, eventId, received, error: err.message }));
        res.on('end', () => resolve({ status: res.statusCode!, eventId, received }));
      });
      req.end('{}');
    },
  );
  t.equal(outcome.status, 200, "the upstream's status had already gone out");
  t.equal(outcome.received, 'the first part');
  t.ok(outcome.error, 'the answer ends in an error, not a silently short body');

  const record = await eventually(() => gw.record(outcome.eventId));
  t.equal(record.requestContext.condition, 'Failure');
  t.same(record.responseContext, { statusCode: 200, functionError: 'ConnectionError' });
  t.equal(record.responsePayload.body, 'the first part');
  t.equal(record.responsePayload.truncated, true);
});

t.test(
  '4xx is Failure without functionError; 5xx is Unhandled; successStatuses decide Success',
  async (t) => {
    const up = await startUpstream();
    t.teardown(() => up.close());
    const gw = await gateway(t, {
      sources: {
        api: { mode: 'proxy', path: '/api', upstream: { url: up.url } },
        lenient: { mode: 'proxy', path: '/lenient', upstream: { url: up.url, successStatuses: [200, 404] } },
      },
    });
    const cases: [path: string, status: number, condition: string, functionError?: string][] = [
      ['/api', 200, 'Success'],
      ['/api', 204, 'Success'],
      ['/api', 302, 'Failure'],
      ['/api', 404, 'Failure'],
      ['/api', 422, 'Failure'],
      ['/api', 500, 'Failure', 'Unhandled'],
      ['/api', 503, 'Failure', 'Unhandled'],
      ['/lenient', 404, 'Success'],
      ['/lenient', 201, 'Failure'],
      ['/lenient', 500, 'Failure', 'Unhandled'],
    ];
    for (const [path, status, condition, functionError] of cases) {
      up.reply({
        status,
        headers: status === 302 ? { location: '/elsewhere' } : {},
        body: status === 204 ? '' : 'b',
      });
      const answer = await call(`${gw.url}${path}`, { body: '{}' });
      t.equal(answer.status, status, `${path} ${status} passed through`);
      const record = await eventually(() => gw.record(answer.headers['hookgate-event-id'] as string));
      t.equal(record.requestContext.condition, condition, `${path} ${status}: ${condition}`);
      t.same(record.responseContext, { statusCode: status, ...(functionError ? { functionError } : {}) });
    }
  },
);
