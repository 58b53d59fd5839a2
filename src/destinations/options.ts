import { z } from 'zod';
import { duration, int, secret } from '../options/types.js';
import { compileTemplate } from '../record/template.js';

/** A `{{ path }}` template, compiled here so `config check` reports a bad one. */
const template = () =>
  z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      try {
        compileTemplate(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });

/** Retry policy: per destination, merged over `defaults.retry`. */
export const retryOptions = z.strictObject({
  attempts: int().min(1).optional(),
  backoff: z.enum(['exponential', 'fixed']).optional(),
  delay: duration().optional(),
  maxDelay: duration().optional(),
  jitter: z.coerce.number().min(0).max(1).optional(),
});

/** The circuit breaker: `false` turns it off; keys missing here come from `defaults.breaker`. */
export const breakerOptions = z.union([
  z.literal(false),
  z.strictObject({
    failures: int().min(1).optional(),
    cooldown: duration().optional(),
    maxCooldown: duration().optional(),
  }),
]);

const common = {
  format: z.enum(['envelope', 'body', 'request']).default('envelope'),
  retry: retryOptions.optional(),
  timeout: duration().optional(),
  /** Deliveries in flight per worker process (default `defaults.concurrency`). */
  concurrency: int().min(1).optional(),
  /** At most `max` attempts per `window`, across every worker (replays included). */
  rateLimit: z.strictObject({ max: int().min(1), window: duration().prefault('1s') }).optional(),
  breaker: breakerOptions.optional(),
};
const aws = {
  region: z.string().min(1).optional(),
  /** LocalStack / ElasticMQ / fauxqs. */
  endpoint: z.string().url().optional(),
};

export const sqsOptions = z.strictObject({
  type: z.literal('sqs'),
  queueUrl: z.string().min(1),
  /** FIFO message group id template (default: the source name). */
  groupId: template().optional(),
  ...aws,
  ...common,
});
export const snsOptions = z.strictObject({
  type: z.literal('sns'),
  topicArn: z.string().min(1),
  /** FIFO topics: message group id template (default: the source name). */
  groupId: template().optional(),
  ...aws,
  ...common,
});
export const eventbridgeOptions = z.strictObject({
  type: z.literal('eventbridge'),
  eventBusName: z.string().min(1).default('default'),
  source: template().default('hookgate.{{ source }}'),
  detailType: template().default('webhook'),
  ...aws,
  ...common,
});
export const httpOptions = z.strictObject({
  type: z.literal('http'),
  url: z.string().url(),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  /** Extra request headers; values are templates (`x-event-type: "{{ body.type }}"`). */
  headers: z.record(z.string(), template()).default({}),
  /** Standard Webhooks signature of the outgoing request. */
  sign: z.strictObject({ secret: secret() }).optional(),
  ...common,
});

export const destinationOptions = z.discriminatedUnion('type', [
  sqsOptions,
  snsOptions,
  eventbridgeOptions,
  httpOptions,
]);
export type DestinationOptions = z.infer<typeof destinationOptions>;
export type RetryOptions = z.infer<typeof retryOptions>;
export type SqsOptions = z.infer<typeof sqsOptions>;
export type SnsOptions = z.infer<typeof snsOptions>;
export type EventBridgeOptions = z.infer<typeof eventbridgeOptions>;
export type HttpOptions = z.infer<typeof httpOptions>;
