/**
 * A small reader for the repo's Dockerfile and .dockerignore, enough to replay the
 * image's COPY/RUN steps outside Docker (no Docker engine on the CI machine). It
 * understands what a Dockerfile of this shape uses: global and stage ARGs, FROM … AS,
 * ENV, WORKDIR, COPY [--from] [--chown], RUN, USER, EXPOSE, HEALTHCHECK, ENTRYPOINT,
 * CMD, STOPSIGNAL. Anything else is kept as an `other` step, so a new instruction is
 * visible to the test instead of silently ignored.
 */
import { readFileSync } from 'node:fs';

export type Step =
  | { kind: 'copy'; from?: string; sources: string[]; dest: string; line: number }
  | { kind: 'run'; command: string; line: number }
  | { kind: 'workdir'; path: string; line: number }
  | { kind: 'env'; vars: Record<string, string>; line: number }
  | { kind: 'arg'; name: string; value?: string; line: number }
  | { kind: 'other'; instruction: string; args: string; line: number };

export interface Stage {
  name: string;
  image: string;
  steps: Step[];
  user?: string;
  expose: number[];
  healthcheck?: { options: Record<string, string>; cmd: string[] };
  entrypoint?: string[];
  cmd?: string[];
  stopSignal?: string;
}

interface Line {
  text: string;
  line: number;
}

/** Joins `\` continuations and drops comments and blank lines. */
function logicalLines(text: string): Line[] {
  const out: Line[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!buf && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (buf && trimmed.startsWith('#')) return; // comment inside a continuation
    if (!buf) start = i + 1;
    if (trimmed.endsWith('\\')) {
      buf += `${trimmed.slice(0, -1)} `;
      return;
    }
    out.push({ text: (buf + trimmed).trim(), line: start });
    buf = '';
  });
  if (buf) out.push({ text: buf.trim(), line: start });
  return out;
}

function substitute(s: string, vars: Record<string, string | undefined>): string {
  return s.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a?: string, b?: string) => {
      const v = vars[(a ?? b)!];
      return v ?? m;
    },
  );
}

/** JSON (exec) form, or the shell form wrapped as `/bin/sh -c`. */
function execForm(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

/** KEY=value pairs (values may be double-quoted) or the legacy `KEY value` form. */
function parseEnv(args: string): Record<string, string> {
  const vars: Record<string, string> = {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [k, ...rest] = args.split(/\s+/);
    vars[k!] = rest.join(' ');
    return vars;
  }
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of args.matchAll(re)) {
    const v = m[2]!;
    vars[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v;
  }
  return vars;
}

export function parseDockerfile(file: string, buildArgs: Record<string, string> = {}): Stage[] {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string | undefined> = {};
  let stageArgs: Record<string, string | undefined> = {};
  let env: Record<string, string> = {};
  for (const { text, line } of logicalLines(readFileSync(file, 'utf8'))) {
    const m = /^(\S+)\s*(.*)$/s.exec(text)!;
    const instruction = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    const stage = stages.at(-1);
    const vars = { ...globalArgs, ...stageArgs, ...env };
    if (instruction === 'ARG') {
      const [name, value] = args.split('=', 2) as [string, string | undefined];
      const resolved = buildArgs[name] ?? value;
      if (!stage) globalArgs[name] = resolved;
      else {
        // A stage ARG without a value re-imports the global one.
        stageArgs[name] = resolved ?? globalArgs[name];
        stage.steps.push({ kind: 'arg', name, value: stageArgs[name], line });
      }
      continue;
    }
    if (instruction === 'FROM') {
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!fm) throw new Error(`line ${line}: cannot read FROM ${args}`);
      stageArgs = {};
      env = {};
      stages.push({
        name: fm[2] ?? String(stages.length),
        image: substitute(fm[1]!, globalArgs),
        steps: [],
        expose: [],
      });
      continue;
    }
    if (!stage) throw new Error(`line ${line}: ${instruction} before the first FROM`);
    switch (instruction) {
      case 'WORKDIR':
        stage.steps.push({ kind: 'workdir', path: substitute(args, vars), line });
        break;
      case 'ENV': {
        const parsed = parseEnv(args);
        for (const k of Object.keys(parsed)) parsed[k] = substitute(parsed[k]!, vars);
        Object.assign(env, parsed);
        stage.steps.push({ kind: 'env', vars: parsed, line });
        break;
      }
      case 'COPY': {
        const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
        let from: string | undefined;
        const rest: string[] = [];
        for (const w of words) {
          if (w.startsWith('--from=')) from = w.slice('--from='.length);
          else if (w.startsWith('--'))
            continue; // --chown, --chmod, --link: ownership only
          else rest.push(substitute(w, vars));
        }
        const dest = rest.pop();
        if (!dest || rest.length === 0)
          throw new Error(`line ${line}: COPY needs a source and a destination`);
        stage.steps.push({ kind: 'copy', from, sources: rest, dest, line });
        break;
      }
      case 'RUN':
        stage.steps.push({ kind: 'run', command: args, line });
        break;
      case 'USER':
        stage.user = substitute(args, vars);
        break;
      case 'EXPOSE':
        stage.expose.push(...args.split(/\s+/).map((p) => Number(p.split('/')[0])));
        break;
      case 'HEALTHCHECK': {
        const hm = /^((?:--\S+\s+)*)CMD\s+(.*)$/s.exec(args);
        if (!hm) throw new Error(`line ${line}: HEALTHCHECK without CMD`);
        const options = Object.fromEntries(
          hm[1]!
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((o) => o.replace(/^--/, '').split('=') as [string, string]),
        );
        stage.healthcheck = { options, cmd: execForm(hm[2]!) };
        break;
      }
      case 'ENTRYPOINT':
        stage.entrypoint = execForm(args);
        break;
      case 'CMD':
        stage.cmd = execForm(args);
        break;
      case 'STOPSIGNAL':
        stage.stopSignal = args;
        break;
      default:
        stage.steps.push({ kind: 'other', instruction, args, line });
    }
  }
  return stages;
}

/** The environment a stage's process sees at its end (ENV steps in order). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stage.steps) if (s.kind === 'env') Object.assign(env, s.vars);
  return env;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * `.dockerignore` as Docker reads it: patterns relative to the context root, `!`
 * re-includes, last match wins, and a path is excluded when it or a parent is.
 */
export function dockerignore(file: string): (path: string) => boolean {
  const rules = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (path: string) => {
    const parts = path.replace(/^\.?\/+/, '').split('/');
    let excluded = false;
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      for (const r of rules) if (r.re.test(prefix)) excluded = !r.negate;
    }
    return excluded;
  };
}
