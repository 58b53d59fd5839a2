import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, HookgateError } from '../../errors.js';
import type { IngressContext, SourceRegistration } from '../context.js';
import { newEventIdFor, requestFacts } from '../facts.js';
import { eventTypeOf, RequestFields } from '../request-fields.js';
import { verifyRequest } from '../verify.js';
import { buildEnvelope, collectHeaders, type ResponseFacts } from '../../record/build.js';
import type { Envelope } from '../../record/envelope.js';
import { bodyFromHead, sendError, streamBody, upstreamStatusLine } from './answer.js';
import { Capture, readHead } from './capture.js';
import { credentialOf, EVENT_ID_HEADER, endToEndHeaders, upstreamRequestHeaders } from './headers.js';
import { classify, errorPayload, upstreamPayload, type BrokenExchange } from './outcome.js';
import type { RecordSink } from './record-sink.js';
import { bodyStream, limitBody, readBody, streamsBody } from './request-body.js';
import type { UpstreamTarget } from './target.js';
import type { UpstreamClient } from './upstream-client.js';

export interface ProxySource {
  reg: SourceRegistration;
  ctx: IngressContext;
  client: UpstreamClient;
  target: UpstreamTarget;
  sink: RecordSink;
}

const errorFor = (broken: string): HookgateError =>
  broken === 'Timeout' ? errors.upstreamTimeout() : errors.upstreamUnavailable();

/**
 * One proxied call: verify, forward once, answer with the upstream's response, and
 * hand the record (request + response) to the sink — after the answer with
 * `record: after-response`, before it with `record: before-response`.
 * `routeKeyPath` is the path the record's routeKey names (`/api/orders/{proxy+}` for sub-paths).
 */
export function proxyHandler(p: ProxySource, routeKeyPath: string) {
  const { reg, ctx, client, target, sink } = p;
  const upstream = reg.source.upstream!;
  const bodyLimit = reg.bodyLimit;
  // What the record keeps of a request body, and the most read whole before
  // forwarding: a source may accept large uploads without the record growing with them.
  const recordLimit = Math.min(bodyLimit, ctx.config.server.bodyLimit);
  const mayStream = streamsBody(reg.verifier.type);
  const beforeResponse = reg.source.record === 'before-response';
  const timeoutMs = upstream.timeout ?? ctx.config.defaults.timeout;
  const withheld = upstream.forwardCredentials ? {} : credentialOf(reg.source.verify);

  /** The record, built and stored the way this source's `record:` says. */
  async function keep(make: () => Promise<Envelope>): Promise<void> {
    if (beforeResponse) await commit(sink, await make());
    // After the answer has gone: building and writing the record is not the caller's wait.
    else setImmediate(() => void make().then((envelope) => sink.submit(envelope), lost));
  }
  /** A bug while building a record must not take the process (and every call in flight) down. */
  function lost(err: unknown): void {
    ctx.metrics.recordsLost.inc({ source: reg.name, reason: 'error' });
    ctx.logger.error({ source: reg.name, err }, 'proxy record could not be built: record lost');
  }

  return async function handleProxy(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // The greedy route's `*`, decoded, as API Gateway's `{proxy+}` path parameter.
    const subPath = (req.params as { '*'?: string })['*'];
    const upstreamPath = target.pathFor(reg.path, req.url, subPath, withheld.query);
    if (upstreamPath === undefined) return sendError(reply, errors.pathOutsideSource());
    const source = bodyStream(req);
    const declared = declaredLength(req);
    // The rest of an oversized body is not worth reading just to keep the connection.
    const tooLarge = () => sendError(reply.header('connection', 'close'), errors.payloadTooLarge(bodyLimit));
    if (source && declared !== Infinity && declared > bodyLimit) return tooLarge();
    let buffered: Buffer | undefined;
    // Signed bodies are needed whole before the check. A small body of known length is
    // read whole too, as one write to the upstream is cheaper than a pipe; only large
    // or open-ended bodies are streamed.
    if (source && (!mayStream || declared <= recordLimit)) {
      try {
        buffered = await readBody(req, source, bodyLimit);
      } catch (err) {
        if (!(err instanceof HookgateError)) throw err;
        return tooLarge();
      }
    }
    const incoming = { rawBody: buffered ?? Buffer.alloc(0), headers: collectHeaders(req.raw.rawHeaders) };
    if (!verifyRequest(req, incoming, reg.name, reg.verifier, reply, ctx).ok) {
      return sendError(reply, errors.signatureInvalid());
    }
    // Nothing has happened yet: refusing now is safe for the caller to retry, unlike
    // refusing after the upstream has acted.
    if (beforeResponse && !(await sink.ready(ctx.config.server.enqueueTimeout))) {
      return sendError(reply, errors.unavailable());
    }

    const eventId = newEventIdFor(ctx, reg.name, undefined, req.receivedAt);
    reply.eventId = eventId;
    const requestBody = new Capture(recordLimit);
    if (buffered) requestBody.add(buffered);
    const limited = source && !buffered ? limitBody(source, bodyLimit) : undefined;
    const streamed: Readable | undefined = limited?.body;
    const exchange = await client.send({
      method: req.method,
      path: upstreamPath,
      headers: upstreamRequestHeaders(
        req.raw.rawHeaders,
        {
          remoteAddress: req.raw.socket.remoteAddress ?? '',
          protocol: req.protocol,
          host: req.host,
          eventId,
        },
        withheld.header,
      ),
      body: buffered ?? streamed,
      ...(streamed ? { onBodyChunk: (chunk: Buffer) => requestBody.add(chunk) } : {}),
      timeoutMs,
    });

    const record = async (response: ResponseFacts): Promise<Envelope> => {
      if (streamed && !(await exchange.bodySent)) requestBody.truncated = true;
      const body = requestBody.bytes();
      // Only the source's own option: the verifier's types are the providers', not an API's.
      const option = reg.source.eventType;
      const eventType =
        option && eventTypeOf(option, undefined, new RequestFields({ ...incoming, rawBody: body }));
      const facts = requestFacts(req, reg, ctx, { id: eventId, eventType });
      const envelope = buildEnvelope({ ...facts, routePath: routeKeyPath, body }, response);
      if (subPath !== undefined) envelope.requestPayload.pathParameters = { proxy: subPath };
      envelope.requestPayload.truncated = requestBody.truncated;
      return envelope;
    };
    /** The caller gets the gateway's 502/504, and the record says so. */
    const fail = async (broken: BrokenExchange): Promise<FastifyReply> => {
      const error = errorFor(broken);
      await keep(() =>
        record({ ...classify(error.statusCode, undefined, broken), response: errorPayload(error) }),
      );
      return sendError(reply.header(EVENT_ID_HEADER, eventId), error);
    };

    if (!exchange.ok && limited?.exceeded()) {
      // Cut before the upstream had answered: it got an unfinished body, and the caller
      // is refused as if the body had declared its length. No record: no call was made.
      req.log.warn(
        { source: reg.name, eventId, bodyLimit },
        'streamed request body over bodyLimit: call cut',
      );
      return tooLarge();
    }
    if (!exchange.ok) {
      req.log.warn(
        { source: reg.name, eventId, functionError: exchange.broken, err: exchange.cause.message },
        'upstream call failed',
      );
      return fail(exchange.broken);
    }

    const res = exchange.response;
    const status = res.statusCode ?? 502;
    const headers = endToEndHeaders(res.rawHeaders);
    const capture = new Capture(upstream.maxResponseBody);
    const answered = (cut?: BrokenExchange): ResponseFacts => ({
      ...classify(status, upstream.successStatuses, cut),
      response: upstreamPayload(status, headers, capture, req.method === 'HEAD'),
    });

    // before-response needs the body for the record before answering; a body that
    // fits the record anyway is cheaper sent in one piece than piped.
    if (beforeResponse || Number(res.headers['content-length']) <= upstream.maxResponseBody) {
      let head;
      try {
        head = await readHead(res, upstream.maxResponseBody);
      } catch {
        return fail(exchange.cut() ?? 'ConnectionError');
      }
      for (const chunk of head.chunks) capture.add(chunk);
      if (!head.ended) capture.truncated = true;
      await keep(() => record(answered()));
      return upstreamStatusLine(reply, res, headers, eventId).send(
        bodyFromHead(res, head, {
          hasContentType: res.headers['content-type'] !== undefined,
          isHead: req.method === 'HEAD',
        }),
      );
    }

    // Large or open-ended (chunked, event streams): passed on as it comes.
    const out = streamBody(reply, res, capture, () => exchange.cut(), errorFor);
    void out.done
      .then(({ whole, callerGone, headersSentBeforeCut }) => {
        if (!whole) capture.truncated = true;
        const cut = callerGone ? undefined : exchange.cut();
        if (cut && !headersSentBeforeCut) {
          const error = errorFor(cut);
          return keep(() =>
            record({ ...classify(error.statusCode, undefined, cut), response: errorPayload(error) }),
          );
        }
        return keep(() => record(answered(cut)));
      })
      .catch(lost);
    return upstreamStatusLine(reply, res, headers, eventId).send(out.body);
  };
}

/** The body length the caller announced; Infinity for a chunked body. */
function declaredLength(req: FastifyRequest): number {
  const length = req.headers['content-length'];
  return length === undefined ? Infinity : Number(length);
}

/**
 * record: before-response. The upstream has acted by now, so a record Redis will not
 * take does not turn its answer into a 503 (the caller would retry an action that
 * happened): the answer goes through and the record waits in the buffer.
 */
async function commit(sink: RecordSink, envelope: Envelope): Promise<void> {
  if (!(await sink.store(envelope))) sink.hold(envelope);
}
