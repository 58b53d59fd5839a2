import type { Envelope } from './envelope.js';
import { compileFilter, type Predicate } from './filter.js';
import { recordView } from './template.js';

/** Which requests' events a route takes; the config's `on` is one of these (config/schema.ts). */
export const ROUTE_CONDITIONS = ['success', 'failure', 'always'] as const;
export type RouteCondition = (typeof ROUTE_CONDITIONS)[number];

/**
 * The part of a config the table reads: each source's routes. Named here, not taken
 * from config/schema.ts, because config sits above record (it checks route filters
 * with filter.ts); a parsed Config is one of these.
 */
export interface RoutedSources {
  sources: Record<string, { routes: readonly RouteRule[] }>;
}
export interface RouteRule {
  to: string;
  on: RouteCondition;
  filter?: Record<string, unknown> | undefined;
}

interface CompiledRoute {
  to: string;
  on: RouteCondition;
  /** Undefined: the route has no filter (every event of its condition matches). */
  test?: Predicate;
}

/** Which destinations an event goes to, with every filter compiled once per config. */
export interface RouteTable {
  /** Destination names in route order, each once; `undefined` for a source the config no longer has. */
  match(record: Envelope): string[] | undefined;
}

export function createRouteTable(config: RoutedSources): RouteTable {
  const table = new Map<string, CompiledRoute[]>();
  for (const [name, source] of Object.entries(config.sources)) {
    table.set(
      name,
      source.routes.map((r) => ({
        to: r.to,
        on: r.on,
        ...(r.filter && Object.keys(r.filter).length ? { test: compileFilter(r.filter) } : {}),
      })),
    );
  }
  return {
    match(record) {
      const routes = table.get(record.source);
      if (!routes) return undefined;
      const condition = record.requestContext.condition;
      // The view parses the body; built lazily so filterless routes never pay for it.
      let view: ReturnType<typeof recordView> | undefined;
      const out: string[] = [];
      for (const route of routes) {
        if (out.includes(route.to)) continue;
        if (route.on === 'success' && condition !== 'Success') continue;
        if (route.on === 'failure' && condition !== 'Failure') continue;
        if (route.test) {
          view ??= recordView(record);
          if (!route.test(view)) continue;
        }
        out.push(route.to);
      }
      return out;
    },
  };
}
