import siftModule from 'sift';

/** sift is CommonJS: under NodeNext its default export is the module object, whose `.default` is sift(). */
const sift = siftModule.default;

export type Predicate = (item: unknown) => boolean;

/** Compiles a MongoDB-style query (throws on unknown operators, so config checks catch them). */
export function compileFilter(query: Record<string, unknown> | undefined): Predicate {
  if (!query || Object.keys(query).length === 0) return () => true;
  const test = sift(query as never);
  return (item) => test(item);
}
