import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { RetryableError } from '../../src/destinations/errors.js';
import { backoffDelay, retryPolicyFor, timeoutFor } from '../../src/queue/policy.js';

const config = parseConfig(
  `
defaults:
  retry: { attempts: 10, backoff: exponential, delay: 1s, maxDelay: 10s, jitter: 0.2 }
  timeout: 10s
destinations:
  plain: { type: http, url: "http://x" }
  own: { type: http, url: "http://x", timeout: 2s, retry: { attempts: 3, backoff: fixed, delay: 500ms } }
`,
  { env: {} },
);

t.test('a destination policy is its own keys over defaults.retry', async (t) => {
  t.same(retryPolicyFor(config, 'plain'), config.defaults.retry);
  t.same(retryPolicyFor(config, 'own'), {
    attempts: 3,
    backoff: 'fixed',
    delay: 500,
    maxDelay: 10_000,
    jitter: 0.2,
  });
  t.equal(timeoutFor(config, 'plain'), 10_000);
  t.equal(timeoutFor(config, 'own'), 2000);
});

t.test('exponential doubles per attempt up to maxDelay; jitter only shortens', async (t) => {
  const policy = { ...config.defaults.retry, jitter: 0 };
  t.same(
    [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n)),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  const jittered = config.defaults.retry;
  t.equal(
    backoffDelay(jittered, 3, undefined, () => 0),
    4000,
  );
  t.equal(
    backoffDelay(jittered, 3, undefined, () => 1),
    3200,
  );
  t.equal(
    backoffDelay(jittered, 9, undefined, () => 0.5),
    9000,
  );
});

t.test('fixed keeps the delay', async (t) => {
  const policy = { ...retryPolicyFor(config, 'own'), jitter: 0 };
  t.same(
    [1, 2, 5].map((n) => backoffDelay(policy, n)),
    [500, 500, 500],
  );
});

t.test("a destination's retry-after wins, capped at maxDelay", async (t) => {
  const policy = config.defaults.retry;
  t.equal(backoffDelay(policy, 1, new RetryableError('429', { retryAfterMs: 7000 })), 7000);
  t.equal(backoffDelay(policy, 1, new RetryableError('429', { retryAfterMs: 0 })), 0);
  t.equal(backoffDelay(policy, 1, new RetryableError('429', { retryAfterMs: 3_600_000 })), 10_000);
  t.equal(backoffDelay({ ...policy, jitter: 0 }, 2, new RetryableError('503')), 2000);
});
