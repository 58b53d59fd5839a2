#!/usr/bin/env node
// Lints a Dockerfile: dockerfile-utils' validator (syntax, flags, instruction
// arguments), with its warnings treated as errors, plus a few hadolint-style rules
// that matter for a production Node image. Exit 1 on any finding.
//
//   node tools/lint/dockerfile-lint.mjs [Dockerfile]
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';

const file = process.argv[2] ?? 'Dockerfile';
const text = readFileSync(file, 'utf8');
const findings = [];
const report = (line, message) => findings.push({ line: line + 1, message });

// 1. The validator, every check at error level.
const all = ValidationSeverity.ERROR;
const settings = {
  deprecatedMaintainer: all,
  directiveCasing: all,
  emptyContinuationLine: all,
  instructionCasing: all,
  instructionCmdMultiple: all,
  instructionEntrypointMultiple: all,
  instructionHealthcheckMultiple: all,
  instructionJSONInSingleQuotes: all,
  instructionWorkdirRelative: all,
};
for (const d of validate(text, settings)) report(d.range.start.line, d.message);

// 2. House rules.
const dockerfile = DockerfileParser.parse(text);
const line = (instruction) => instruction.getRange().start.line;
const initialArgs = new Map(
  dockerfile.getInitialARGs().flatMap((a) => {
    const p = a.getProperty();
    return p ? [[p.getName(), p.getValue()]] : [];
  }),
);
const expand = (s) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, v) => initialArgs.get(v) ?? m);

const froms = dockerfile.getFROMs();
const stages = new Set();
for (const from of froms) {
  const image = expand(from.getImage() ?? '');
  if (!stages.has(image)) {
    // DL3006/DL3007: a base image names a version, never an implicit or explicit latest.
    const tag = image.includes('@') ? 'digest' : image.split('/').at(-1).split(':')[1];
    if (!tag) report(line(from), `FROM ${image}: pin a tag or digest`);
    else if (tag === 'latest') report(line(from), `FROM ${image}: do not use :latest`);
  }
  if (from.getBuildStage()) stages.add(from.getBuildStage());
}

for (const copy of dockerfile.getCOPYs()) {
  // COPY --from must name an earlier stage (an image reference would be pulled at build).
  const flag = copy.getFromFlag();
  if (flag && !stages.has(flag.getValue())) {
    report(line(copy), `COPY --from=${flag.getValue()}: no stage of that name`);
  }
}

const instructions = dockerfile.getInstructions();
const finalFrom = froms.at(-1);
const finalStage = finalFrom ? instructions.slice(instructions.indexOf(finalFrom)) : [];
for (const ins of instructions) {
  const keyword = ins.getKeyword();
  const args = ins.getArgumentsContent() ?? '';
  // DL3020: ADD fetches URLs and unpacks archives; COPY says what it does.
  if (keyword === 'ADD') report(line(ins), 'use COPY instead of ADD');
  // DL3016-ish: reproducible installs from the lockfile.
  if (keyword === 'RUN' && /\bnpm (install|i)\b/.test(args))
    report(line(ins), 'use npm ci (lockfile) instead of npm install');
  // DL3015/DL3009: no recommended extras, no apt lists left in the layer.
  if (keyword === 'RUN' && /apt-get install/.test(args)) {
    if (!/--no-install-recommends/.test(args))
      report(line(ins), 'apt-get install without --no-install-recommends');
    if (!/rm -rf \/var\/lib\/apt\/lists/.test(args))
      report(line(ins), 'apt-get install without removing /var/lib/apt/lists');
  }
  // DL3025: exec form, so the signal goes to node and not to a shell.
  if ((keyword === 'ENTRYPOINT' || keyword === 'CMD') && !args.trim().startsWith('[')) {
    report(line(ins), `${keyword} in shell form: SIGTERM would reach /bin/sh, not the process`);
  }
}

// The runtime stage: non-root, health-checked, production dependencies only.
const users = finalStage.filter((i) => i.getKeyword() === 'USER');
const lastUser = users.at(-1)?.getArgumentsContent()?.trim();
if (!lastUser || /^(root|0)(:|$)/.test(lastUser)) {
  report(finalFrom ? line(finalFrom) : 0, 'the final stage must switch to a non-root USER (DL3002)');
}
const health = finalStage.filter((i) => i.getKeyword() === 'HEALTHCHECK').at(-1);
if (!health || /^NONE\b/i.test(health.getArgumentsContent() ?? '')) {
  report(finalFrom ? line(finalFrom) : 0, 'the final stage needs a HEALTHCHECK');
}
for (const ins of finalStage) {
  const args = ins.getArgumentsContent() ?? '';
  if (ins.getKeyword() === 'RUN' && /\bnpm ci\b/.test(args) && !/--omit=dev\b/.test(args)) {
    report(line(ins), 'the final stage installs devDependencies: use npm ci --omit=dev');
  }
}

for (const f of findings.sort((a, b) => a.line - b.line)) console.log(`${file}:${f.line}: ${f.message}`);
if (findings.length) {
  console.log(`${findings.length} problem(s) in ${file}`);
  process.exitCode = 1;
} else {
  console.log(`${file}: no problems`);
}
