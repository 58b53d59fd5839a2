import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { AttemptRecord } from '../queue/attempts.js';
import { breakerPolicyFor, writeWorkerReport, type DestinationControls } from '../queue/controls.js';
import type { Store } from '../queue/delivery-queues.js';
import type { AttemptResult } from './attempt.js';
import type { ControlView } from './control-view.js';
import type { Lane } from './lane.js';

/**
 * What every attempt feeds, wherever it ran (routing or a destination queue): the
 * metrics, the breaker, the per-minute counters and last error that
 * `destinations list` shows, and the log. Counters are summed in memory and written
 * once a second, so a delivery costs no Redis write for them.
 */
export class Reporter {
  private outcomes = new Map<string, { ok: number; fail: number }>();
  private lastErrors = new Map<string, { at: string; error: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      config: Config;
      store: Store;
      controls: DestinationControls;
      view: ControlView;
      lanes: Map<string, Lane>;
      workerId: string;
      metrics?: Metrics;
      logger?: Logger;
    },
  ) {}

  start(everyMs = 1000): void {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    const inFlight = new Map<string, number>();
    for (const [name, lane] of this.deps.lanes) inFlight.set(name, lane.direct);
    const report = {
      workerId: this.deps.workerId,
      outcomes: this.outcomes,
      lastErrors: this.lastErrors,
      inFlight,
    };
    this.outcomes = new Map();
    this.lastErrors = new Map();
    await writeWorkerReport(this.deps.store, report).catch((err: unknown) =>
      this.deps.logger?.debug({ err: String(err) }, 'could not write destination counters'),
    );
  }

  /**
   * Records one attempt. `final`: what the attempt's outcome means for the delivery
   * (delivered, retried, dead-lettered), for the metric and the log line.
   */
  attempt(
    destination: string,
    result: AttemptResult,
    final: AttemptRecord['outcome'],
    context: { eventId: string; deliveryId: string; probe?: boolean },
  ): void {
    const { metrics, logger } = this.deps;
    const a = result.attempt;
    metrics?.deliveries.inc({ destination, outcome: final });
    metrics?.deliveryDuration.observe({ destination }, a.durationMs / 1000);
    const counts = this.outcomes.get(destination) ?? { ok: 0, fail: 0 };
    if (result.ok) counts.ok++;
    else counts.fail++;
    this.outcomes.set(destination, counts);
    const log = { eventId: context.eventId, deliveryId: context.deliveryId, destination, attempt: a.attempt };
    if (result.ok) {
      // At debug: a success is already in the event's status, the metrics and the event
      // log, and a line per delivery was ~6% of the worker's CPU (two routes per event,
      // measured A/B at info and warn) and most of its log volume. Built only when
      // written: a disabled level still costs the line's object.
      if (logger?.isLevelEnabled('debug'))
        logger.debug({ ...log, durationMs: a.durationMs, ...(a.info ? { info: a.info } : {}) }, 'delivered');
    } else {
      this.lastErrors.set(destination, { at: a.startedAt, error: a.error ?? '' });
      if (final === 'dead_letter') logger?.warn({ ...log, error: a.error }, 'delivery dead-lettered');
      else logger?.info({ ...log, error: a.error, retryInMs: a.retryInMs }, 'delivery will retry');
    }
    this.breaker(destination, result, context.probe ?? false);
  }

  private breaker(destination: string, result: AttemptResult, probe: boolean): void {
    const { config, controls, view, logger } = this.deps;
    const policy = breakerPolicyFor(config, destination);
    if (!policy) return;
    if (result.ok) {
      if (!probe && !view.breakerDirty(destination)) return;
      view.noteClosed(destination);
      controls.breakerSuccess(destination).then(
        () => probe && logger?.info({ destination }, 'breaker closed: destination active again'),
        (err: unknown) => logger?.warn({ destination, err: String(err) }, 'could not close the breaker'),
      );
      return;
    }
    // A permanent error says the request was bad, not that the destination is down.
    if (result.permanent) return;
    controls.breakerFailure(destination, policy, probe).then(
      (until) => {
        const wasOpen = view.breaker(destination).until > 0;
        view.noteFailure(destination, until);
        if (until > 0 && (!wasOpen || probe))
          logger?.warn(
            { destination, until: new Date(until).toISOString() },
            'breaker open: destination suspended',
          );
      },
      (err: unknown) => logger?.warn({ destination, err: String(err) }, 'could not count a breaker failure'),
    );
  }
}
