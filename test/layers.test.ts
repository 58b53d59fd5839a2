import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * Dependencies go one way: cli -> admin/ingress/worker -> queue/record/config/metrics
 * (a module is a directory directly under src/; src/*.ts are shared by all). A module
 * that imports one that imports it back cannot be understood, tested or replaced on
 * its own, and a file-level cycle leaves one side's bindings undefined while the
 * other is still loading.
 */
const src = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `from '…'`, `import '…'` and `import('…')` with a relative specifier; packages are not ours. */
const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

const files = sourceFiles(src).map((f) => relative(src, f));
const imports = new Map<string, string[]>();
const unresolved: string[] = [];
for (const file of files) {
  const text = readFileSync(join(src, file), 'utf8');
  const targets = new Set<string>();
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    const target = relative(src, resolve(src, dirname(file), spec!.replace(/\.js$/, '.ts')));
    // Every specifier must name a file here, or an edge would be missed without a word.
    if (!existsSync(join(src, target))) unresolved.push(`${file}: '${spec}'`);
    else targets.add(target);
  }
  imports.set(file, [...targets]);
}

/** `admin/console/x.ts` is in admin; `errors.ts` is in '.', the shared files. */
const moduleOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

const moduleImports = new Map<string, Map<string, string>>();
for (const [file, targets] of imports) {
  for (const target of targets) {
    const [from, to] = [moduleOf(file), moduleOf(target)];
    if (from === to) continue;
    if (!moduleImports.has(from)) moduleImports.set(from, new Map());
    // One example per module pair, so a failure names a file to start from.
    if (!moduleImports.get(from)!.has(to)) moduleImports.get(from)!.set(to, `${file} -> ${target}`);
  }
}
const example = (from: string, to: string) => moduleImports.get(from)?.get(to);

/** Every cycle's files, each once: Tarjan's strongly connected components of more than one file (or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

t.test('the import graph is read from every source file', async (t) => {
  t.ok(files.length > 100, `${files.length} files under src/`);
  const edges = [...imports.values()].reduce((n, targets) => n + targets.length, 0);
  t.ok(edges > 300, `${edges} relative imports`);
  t.same(unresolved, [], 'every relative specifier names a file under src/');
  // Edges known to exist, seen as edges: a regex or resolution that finds nothing cannot pass.
  t.ok(imports.get('ingress/server.ts')?.includes('queue/intake-writer.ts'), 'ingress/server.ts -> queue');
  t.ok(
    imports.get('admin/metrics-route.ts')?.includes('metrics/sampler.ts'),
    'admin/metrics-route.ts -> metrics',
  );
  t.ok(imports.get('cli/main.ts')?.length, 'cli/main.ts imports');
});

t.test('no file-level import cycle', async (t) => {
  t.same(cycles(imports), [], 'files in a cycle (each list is one cycle)');
});

/**
 * Module pairs allowed to import each other, each named by the edge that goes the
 * wrong way: none since issue #9 (record names the route fields it reads; option
 * value types live in src/options/; proxy mode lives in ingress/proxy/ beside ack).
 * An entry here is a debt with a reason, and one that is fixed must leave the list.
 */
const KNOWN_BACK_EDGES: string[] = [];

t.test('no two modules import each other, nor any longer cycle of modules', async (t) => {
  const known = new Set(KNOWN_BACK_EDGES);
  const pairs: string[] = [];
  for (const [from, tos] of moduleImports)
    for (const to of tos.keys())
      if (from < to && example(to, from) && !known.has(`${from} -> ${to}`) && !known.has(`${to} -> ${from}`))
        pairs.push(`${example(from, to)} and ${example(to, from)}`);
  t.same(pairs, [], 'module pairs importing each other');
  const stale = KNOWN_BACK_EDGES.filter((edge) => {
    const [from, to] = edge.split(' -> ') as [string, string];
    return !(example(from, to) && example(to, from));
  });
  t.same(stale, [], 'known exceptions that no longer import each other (take them off the list)');
  const moduleGraph = new Map(
    [...moduleImports].map(([from, tos]) => [
      from,
      [...tos.keys()].filter((to) => !known.has(`${from} -> ${to}`)),
    ]),
  );
  t.same(cycles(moduleGraph), [], 'modules in a cycle');
});

t.test('layers: nothing imports upward or across the top layers', async (t) => {
  const top = ['admin', 'ingress', 'worker'];
  const forbidden: Record<string, string[]> = {
    // The shared files and the lowest layer know no module above them.
    '.': ['cli', ...top, 'queue', 'record', 'config', 'metrics'],
    // Option value types (durations, sizes, secrets): below config and the option schemas it composes.
    options: ['cli', ...top, 'queue', 'record', 'config', 'metrics', 'destinations', 'verifiers'],
    queue: ['cli', ...top],
    record: ['cli', ...top],
    config: ['cli', ...top],
    metrics: ['cli', ...top],
    // Side by side: what two of them share belongs below them.
    ...Object.fromEntries(top.map((m) => [m, ['cli', ...top.filter((o) => o !== m)]])),
  };
  const violations: string[] = [];
  for (const [from, tos] of Object.entries(forbidden))
    for (const to of tos) if (example(from, to)) violations.push(example(from, to)!);
  // Nothing at all imports the command line: it is the top.
  for (const from of moduleImports.keys())
    if (from !== 'cli' && example(from, 'cli')) violations.push(example(from, 'cli')!);
  t.same([...new Set(violations)], [], 'imports against the layers');
});
