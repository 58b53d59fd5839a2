/**
 * Help text for every config key, by path (`*` stands for a source or destination
 * name), added to `hookgate config schema` so editors show it on hover and in
 * completion. test/config/schema-descriptions.test.ts fails when a key has none.
 */
export const DESCRIPTIONS: Record<string, string> = {
  server: 'The webhook port: where providers send their requests.',
  'server.host': 'Interface the webhook port binds (default 0.0.0.0).',
  'server.port': 'Webhook port (default 8080).',
  'server.bodyLimit':
    'Largest request body accepted (512kb, 1mb or bytes); larger bodies get 413. Default 1mb.',
  'server.trustProxy':
    'Behind a load balancer or reverse proxy: true, a hop count or CIDRs; client IP, scheme and host are then read from x-forwarded-*. Default false.',
  'server.enqueueTimeout':
    'How long a request waits for Redis to confirm the write; past it the answer is 503 with retry-after. Default 2s.',
  'server.shutdownTimeout':
    'On SIGTERM/SIGINT: how long in-flight requests and deliveries may take before the process exits. Default 10s.',
  'server.headersTimeout':
    'A client must send its request headers within this (slow clients are cut with 408). Default 10s.',
  'server.requestTimeout': 'A client must send its whole request within this (408 otherwise). Default 30s.',
  'server.publicUrl':
    'The public base URL providers call (https://hooks.example.com): what URL-signing verifiers (Twilio, Square) check, and the record’s domainName.',
  admin: 'The admin port: admin API, metrics and dashboard. Off unless admin.token is set.',
  'admin.host': 'Interface the admin port (and each worker’s admin port) binds. Default 127.0.0.1.',
  'admin.port': 'Admin port of serve and dev (default 9090).',
  'admin.token':
    'Bearer token for the admin API and dashboard (openssl rand -hex 24); unset or empty: the admin API is off.',
  'admin.dashboard': 'The bull-board queue dashboard at /admin/queues.',
  'admin.dashboard.readOnly':
    'true (default): look, do not touch. false enables its retry, clean, empty and obliterate, which bypass the attempt history and can wipe the dead-letter store.',
  eventLog:
    'Optional event log on PostgreSQL: weeks of searchable history, written by the workers; Redis keeps only work in flight and dedupe keys.',
  'eventLog.postgres': 'The PostgreSQL of the event log (13 or later).',
  'eventLog.postgres.url':
    'postgres://user:password@host:5432/database; TLS with ?sslmode=require (or verify-full). The password is masked by config check.',
  'eventLog.postgres.schema':
    'Schema of hookgate’s tables (default hookgate), created and migrated by hookgate at start and by hookgate migrate.',
  'eventLog.postgres.pool': 'Connections per process (default 4).',
  redis: 'Where events and deliveries are stored (Redis 6.2+ with persistence, noeviction).',
  'redis.url': 'redis:// or rediss:// (TLS) URL, with the password if any. Default redis://127.0.0.1:6379.',
  'redis.ackReplicas':
    'Replicas that must have an event before the durable ack (WAIT within server.enqueueTimeout, else 503). Default 0: the master alone; a failover can then lose acknowledged events not yet replicated.',
  'redis.prefix':
    'Prefix of every key hookgate writes (default hookgate); with redis.cluster and partitions 1 it needs a {hash tag}, e.g. "{hookgate}"; with partitions > 1 hookgate adds the tags.',
  'redis.partitions':
    'Hash-tag partitions the event keys spread over ({hookgate:0} … {hookgate:N-1}; default 1), so a Redis Cluster shares the load among its shards. Changing it on a live install loses nothing: the old partitions drain.',
  'redis.cluster': 'Redis Cluster instead of redis.url: the seed nodes to learn the cluster from.',
  'redis.cluster.nodes': 'Seed node URLs (redis:// or rediss://, a password in one applies to every node).',
  retention: 'How long history is kept: in Redis, or in the event log when eventLog is set.',
  'retention.events':
    'Accepted events and their deliveries (in the event log when eventLog is set; Redis then keeps only events with a delivery not final). Default 3d.',
  'retention.deadLetters': 'Dead letters, before they are removed unreplayed. Default 14d.',
  'retention.dedupe':
    "How long a provider's event id is remembered: a re-send within it is a duplicate. Default 3d (Stripe retries for 3 days).",
  defaults: 'Defaults for every destination (each may override them).',
  'defaults.retry': 'Retry policy of a delivery that fails with a retryable error.',
  'defaults.retry.attempts':
    'Attempts in all, the first included, before the delivery becomes a dead letter. Default 10.',
  'defaults.retry.backoff':
    'exponential (delay doubles each attempt, up to maxDelay) or fixed. Default exponential.',
  'defaults.retry.delay': 'Delay before the first retry. Default 1s.',
  'defaults.retry.maxDelay': 'Longest delay between two attempts. Default 15m.',
  'defaults.retry.jitter': 'Random share (0 to 1) taken off each delay, so retries spread out. Default 0.2.',
  'defaults.timeout': 'Time limit of one delivery attempt. Default 10s.',
  'defaults.concurrency': 'Deliveries in flight per destination, per worker process. Default 10.',
  'defaults.breaker':
    'The circuit breaker of every destination; false turns it off. Default {failures: 10, cooldown: 30s, maxCooldown: 10m}.',
  'defaults.breaker.failures': 'Retryable failures in a row that suspend a destination. Default 10.',
  'defaults.breaker.cooldown':
    'How long a suspended destination waits before one probe delivery. Default 30s.',
  'defaults.breaker.maxCooldown': 'The cooldown doubles on each failed probe, up to this. Default 10m.',
  worker: 'hookgate worker (and dev) processes.',
  'worker.concurrency':
    'Accepted events one worker holds at once while their first attempts run (each destination has its own concurrency). Default 1000.',
  'worker.lockDuration':
    'A worker that dies holds a delivery at most this long before another worker takes it. Default 30s.',
  'worker.stalledInterval': 'How often workers look for deliveries whose worker died. Default 30s.',
  'worker.maxStalledCount':
    'Times a delivery may be recovered from a dead worker before it fails. Default 10.',
  'worker.adminPort':
    'A worker’s own admin port (its /metrics), on admin.host; only with admin.token. Default 9091.',
  logLevel: 'fatal, error, warn, info, debug, trace or silent. Default info.',
  sources: 'Webhook senders, by name; each is served at /hooks/<name> unless path is given.',
  'sources.*.mode':
    'ack (default): store and answer at once; proxy: forward to upstream, return its response, deliver request and response afterwards.',
  'sources.*.path': 'Path the source is served at (default /hooks/<name>).',
  'sources.*.methods': 'HTTP methods accepted (default [POST]); others get 405.',
  'sources.*.bodyLimit':
    'Largest body this source accepts (413 above it, proxied bodies too). Default server.bodyLimit.',
  'sources.*.upstream.forwardCredentials':
    'Proxy mode: pass the credential verify checked (api-key, basic authorization) on to the upstream. Default false.',
  'sources.*.verify':
    'How requests are authenticated: the provider’s signature scheme and its secrets. Default { type: none }.',
  'sources.*.verify.type':
    'stripe, slack, github, shopify, standard-webhooks, twilio, paddle, square, hmac, basic, api-key or none.',
  'sources.*.verify.secrets':
    'Signing secrets (keys, tokens, user:password pairs for basic); during a rotation list old and new: any may match. Use ${VAR} or ${file:/path}.',
  'sources.*.verify.tolerance':
    'How far the signed timestamp may be from now; 0 turns the check off. Default: the provider SDK’s (5m; Paddle 5s).',
  'sources.*.verify.url':
    'Twilio: the webhook URL as configured in Twilio, without its query string. Default: the URL the gateway saw.',
  'sources.*.verify.notificationUrl':
    'Square: the notification URL exactly as registered (part of the signed string). Default: the URL the gateway saw.',
  'sources.*.verify.header': 'hmac: header carrying the signature.',
  'sources.*.verify.algorithm': 'hmac: sha1, sha256 (default) or sha512.',
  'sources.*.verify.encoding': 'hmac: how the digest is written in the header, hex (default) or base64.',
  'sources.*.verify.prefix': 'hmac: text before the digest in the header, e.g. sha256=.',
  'sources.*.verify.timestampHeader':
    'hmac: header carrying a unix timestamp that is part of the signed string.',
  'sources.*.verify.signedString':
    'hmac: what is signed; {timestamp} and {body} are replaced. Default {body}, or {timestamp}.{body} with a timestampHeader.',
  'sources.*.verify.in': 'api-key: where the key travels, header (default) or query.',
  'sources.*.verify.name': 'api-key: header or query parameter name (default x-api-key).',
  'sources.*.dedupe':
    'true (default): the provider’s event id where the verifier knows one; false: off; { header } or { body: path }: your own key.',
  'sources.*.dedupe.header': 'Header whose value is the dedupe key.',
  'sources.*.dedupe.body': 'Path in the JSON body whose value is the dedupe key (data.id).',
  'sources.*.eventType':
    'Where the record’s requestContext.eventType comes from instead of the verifier’s: { header: name } or { body: dotted.path }.',
  'sources.*.eventType.header': 'Header whose value is the event type.',
  'sources.*.eventType.body': 'Path in the JSON body whose value is the event type (data.type).',
  'sources.*.rateLimit':
    'At most max requests per window for this source (shared by every gateway); more get 429.',
  'sources.*.rateLimit.max': 'Requests allowed per window.',
  'sources.*.rateLimit.window': 'The window (default 1m).',
  'sources.*.ack':
    'durable (default): answer once Redis has the event; immediate: answer first, store after.',
  'sources.*.response': 'The answer to an accepted request (default 204, no body).',
  'sources.*.response.status': '2xx status (default 204).',
  'sources.*.response.body': 'Body of the answer (a string, or JSON).',
  'sources.*.response.headers': 'Headers of the answer.',
  'sources.*.headers': 'What of the request’s headers is kept in the stored record.',
  'sources.*.headers.drop': 'Header names kept out of the record (authorization, cookie, …).',
  'sources.*.routes': 'Where accepted events go: one delivery per matching route.',
  'sources.*.routes.to': 'A destination name.',
  'sources.*.routes.filter':
    'MongoDB-style query over { source, headers, query, body, condition }; only matching events take this route.',
  'sources.*.routes.on': 'proxy mode: success, failure (by the upstream’s status) or always (default).',
  'sources.*.upstream': 'proxy mode: the API requests are forwarded to.',
  'sources.*.upstream.url': 'Base URL of the upstream; the path below the source’s path is appended.',
  'sources.*.upstream.timeout':
    'Time limit of the upstream call; past it the caller gets 504. Default defaults.timeout.',
  'sources.*.upstream.maxResponseBody': 'Largest upstream response body kept in the record. Default 256kb.',
  'sources.*.upstream.successStatuses':
    'Upstream statuses that count as success for on: success routes (default 2xx).',
  'sources.*.record':
    'proxy mode: after-response (default: answer first, record after) or before-response (record, then forward).',
  'sources.*.bufferSize':
    'proxy mode, after-response: records held in memory while Redis is away. Default 1000.',
  destinations: 'Where events are delivered, by name.',
  'destinations.*.type': 'sqs, sns, eventbridge or http.',
  'destinations.*.format':
    'envelope (default): the whole record; body: the provider’s raw body unchanged; request: only requestPayload.',
  'destinations.*.retry': 'This destination’s retry policy, over defaults.retry.',
  'destinations.*.retry.attempts': 'Attempts in all before the delivery becomes a dead letter.',
  'destinations.*.retry.backoff': 'exponential or fixed.',
  'destinations.*.retry.delay': 'Delay before the first retry.',
  'destinations.*.retry.maxDelay': 'Longest delay between two attempts.',
  'destinations.*.retry.jitter': 'Random share (0 to 1) taken off each delay.',
  'destinations.*.timeout': 'Time limit of one attempt (default defaults.timeout).',
  'destinations.*.concurrency':
    'Attempts in flight to this destination per worker process (default defaults.concurrency).',
  'destinations.*.rateLimit':
    'At most max attempts per window across every worker (replays included); deliveries over it wait, spending no attempt.',
  'destinations.*.rateLimit.max': 'Attempts per window.',
  'destinations.*.rateLimit.window': 'The window (1s, 1m). Default 1s.',
  'destinations.*.breaker': "This destination's circuit breaker over defaults.breaker; false turns it off.",
  'destinations.*.breaker.failures': 'Retryable failures in a row that suspend it.',
  'destinations.*.breaker.cooldown': 'How long it stays suspended before one probe.',
  'destinations.*.breaker.maxCooldown': 'The cooldown doubles on each failed probe, up to this.',
  'destinations.*.queueUrl': 'sqs: the queue URL (a .fifo queue gets group and deduplication ids).',
  'destinations.*.groupId':
    'FIFO queues and topics: message group id, a {{ template }} (default: the source name).',
  'destinations.*.region': 'AWS region (default: read from the queue URL or ARN).',
  'destinations.*.endpoint': 'AWS endpoint override, for LocalStack, ElasticMQ or fauxqs.',
  'destinations.*.topicArn': 'sns: the topic ARN.',
  'destinations.*.eventBusName': 'eventbridge: bus name or ARN (default default).',
  'destinations.*.source':
    'eventbridge: the event’s Source, a {{ template }} (default hookgate.{{ source }}).',
  'destinations.*.detailType': 'eventbridge: the event’s DetailType, a {{ template }} (default webhook).',
  'destinations.*.url': 'http: the receiver’s URL; credentials in it go as authorization: Basic.',
  'destinations.*.method': 'http: POST (default), PUT or PATCH.',
  'destinations.*.headers': 'http: extra request headers; values are {{ templates }}.',
  'destinations.*.sign': 'http: sign each request with Standard Webhooks headers.',
  'destinations.*.sign.secret':
    'The signing secret (whsec_… is base64 after the prefix; any other is its raw bytes).',
};
