import type { FastifyInstance } from 'fastify';
import type { Config, SourceConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { IntakeWriter } from '../queue/intake-writer.js';
import type { Verifier } from '../verifiers/index.js';

/** What every source handler shares, whatever its mode. */
export interface IngressContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  intakeWriter: IntakeWriter;
  /** Clock for receipt time and signature tolerance (tests pin it). */
  now: () => number;
}

/** One configured source, resolved: effective path and methods, its verifier built once. */
export interface SourceRegistration {
  name: string;
  source: SourceConfig;
  path: string;
  methods: string[];
  /** The source's `bodyLimit`, else `server.bodyLimit`. */
  bodyLimit: number;
  verifier: Verifier;
}

/**
 * Registers the route of one source of a given `mode`. It must register exactly
 * `sourceRoute(registration, handler)` (see source-route.ts) so rate limiting,
 * logging and metrics apply the same way to every mode.
 */
export type ModeRegistrar = (
  app: FastifyInstance,
  registration: SourceRegistration,
  ctx: IngressContext,
) => void | Promise<void>;

export type Modes = Partial<Record<SourceConfig['mode'], ModeRegistrar>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The source a route serves; read by the request log and metrics. */
    source?: string;
    /** Load-balancer probes: logged at debug, not counted. */
    probe?: boolean;
  }
  interface FastifyRequest {
    /** Receipt time from the ingress clock, ms since the epoch. */
    receivedAt: number;
    /** The source a request was for, also on 405s (which have no route of their own). */
    sourceName: string | undefined;
  }
  interface FastifyReply {
    /** Event id answered in `hookgate-event-id`, for the request log. */
    eventId: string | undefined;
  }
}
