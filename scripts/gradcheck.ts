/**
 * npm run gradcheck: checks every hand-written gradient of every layer and model (reference/catalogue/) against
 * tfjs autodiff and against centred differences, and prints one row per gradient.
 *
 *   npm run gradcheck                    readable table on stdout
 *   npm run gradcheck -- --json          one JSON object per row on stdout, nothing else there
 *   npm run gradcheck -- --seed 3        other seeded inputs
 *   npm run gradcheck -- --only conv     only the layers whose name contains 'conv'
 *
 * The backend defaults to cpu, not to the project's usual wasm: autodiff through conv2d needs the
 * Conv2DBackpropFilter kernel, which the wasm backend lacks (tensorflow/tfjs#8474). The backend line and progress
 * go to stderr. The exit status is 1 when any row fails (or a check throws), 0 otherwise.
 */
import { Command, Option } from 'commander';
import { initBackendAndReport } from '../runtime/backend';
import { AUTODIFF_BOUND, NUMERIC_BOUND, NUMERIC_STEP } from '../src/gradcheck';
import { ABS_FLOOR } from '../reference/crosscheck';
import { CATALOGUE, runCatalogue } from '../reference/catalogue/run';
import { GradRow, NUMERIC_FLOOR, NUMERIC_SAMPLES } from '../reference/catalogue/harness';
import { implOption, parseScriptBackend, parseSeed, SCRIPT_BACKENDS, ScriptBackend } from './lib/cli';
import { Impl, useImplementation } from '../learn/impl';
import { exercisesToFix } from '../learn/catalogue_exercises';
import { Cell, formatSummary } from './lib/run_dir';

interface Options {
  impl?: Impl;
  seed: number;
  backend: ScriptBackend;
  json: boolean;
  only?: string;
}

/** A relative error as people read it: 3.1e-8; NaN when the check threw. */
function sci(v: number): string {
  return Number.isFinite(v) ? v.toExponential(1) : String(v);
}

/** The table's columns for one row. */
function tableRow(r: GradRow): Record<string, Cell> {
  return {
    layer: r.layer,
    param: r.param,
    shape: r.error ? '' : `[${r.shape.join(',')}]`,
    relErrAutodiff: sci(r.relErrAutodiff),
    'max elem': sci(r.maxElemAutodiff),
    relErrNumeric: sci(r.relErrNumeric),
    'max elem ': sci(r.maxElemNumeric),
    entries: r.numericEntries,
    skipped: r.kinkSkips,
    redraws: r.redraws,
    pass: r.pass ? 'ok' : 'FAIL',
    note: r.error ?? (r.zeroGradient ? 'zero in exact arithmetic' : ''),
  };
}

/** The row as a JSON line: layer, param, both errors and pass first, then the rest. */
function jsonRow(r: GradRow): string {
  const { layer, param, relErrAutodiff, relErrNumeric, pass, ...extras } = r;
  // JSON has no NaN: a check that threw reports null errors and its message.
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return JSON.stringify({
    layer,
    param,
    relErrAutodiff: num(relErrAutodiff),
    relErrNumeric: num(relErrNumeric),
    pass,
    ...extras,
    maxElemAutodiff: num(extras.maxElemAutodiff),
    maxElemNumeric: num(extras.maxElemNumeric),
  });
}

async function main(): Promise<void> {
  const program = new Command('gradcheck')
    .description('check every hand-written gradient against tfjs autodiff and centred differences')
    .option('--seed <n>', 'seed of the inputs (same seed, same inputs)', parseSeed('--seed'), 0)
    .addOption(
      new Option('--backend <name>', `tfjs backend: ${SCRIPT_BACKENDS.join(' | ')} (default cpu: wasm cannot differentiate conv2d)`)
        .argParser(parseScriptBackend)
        .default('cpu'),
    )
    .option('--json', 'one JSON object per row on stdout instead of the table', false)
    .option('--only <text>', 'only the layers and models whose name contains this text')
    .addOption(implOption())
    .showHelpAfterError('(run with --help for usage)');
  program.parse();
  const opts = program.opts<Options>();
  useImplementation(opts.impl ?? 'library');

  const backend = await initBackendAndReport(opts.backend);
  const only = opts.only?.toLowerCase();
  const filter = only === undefined ? undefined : (layer: string) => layer.toLowerCase().includes(only);
  const selected = CATALOGUE.filter((c) => !filter || filter(c.layer)).length;
  if (selected === 0) throw new Error(`--only '${opts.only}' matches no layer; names are: ${CATALOGUE.map((c) => c.layer).join(', ')}`);

  const header = [
    `gradcheck: ${selected} of ${CATALOGUE.length} layers and models, seed ${opts.seed}, backend ${backend}` +
      (backend === 'cpu'
        ? ' (the default: tf.grad through conv2d fails on wasm, which lacks Conv2DBackpropFilter)'
        : backend === 'wasm'
          ? ' (tf.grad through conv2d fails here, wasm lacks Conv2DBackpropFilter: rows with a convolution will fail)'
          : ''),
    `pass: relErrAutodiff <= ${AUTODIFF_BOUND.toExponential()} (or both gradients below ${ABS_FLOOR.toExponential()}: zero in exact arithmetic), and ` +
      `relErrNumeric <= ${NUMERIC_BOUND.toExponential()} (centred differences, step ${NUMERIC_STEP.toExponential()}; norm below ${NUMERIC_FLOOR.toExponential()} where zero in exact arithmetic)`,
    `errors are norm-wise ||a - b|| / max(||a||, ||b||), 'max elem' the largest element-wise one; numeric checks cover ` +
      `every entry of a layer's inputs, and of a model's parameters up to ${NUMERIC_SAMPLES} random entries each ('entries')`,
    `steps across a kink (relu, max, hinge) are never compared: a model's entry is 'skipped' for another, a layer's ` +
      `inputs are redrawn ('redraws')`,
  ];
  // Under --json stdout carries the rows only, so the header goes to stderr with the backend line.
  const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : process.stdout.write(`${line}\n`));
  header.forEach(say);

  const start = performance.now();
  let done = 0;
  const rows = runCatalogue({
    seed: opts.seed,
    filter,
    onCase: (caseRows, seconds) => {
      done++;
      const failed = caseRows.filter((r) => !r.pass).length;
      process.stderr.write(`[${done}/${selected}] ${caseRows[0].layer}: ${seconds.toFixed(1)} s${failed ? `, ${failed} FAILED` : ''}\n`);
      if (opts.json) for (const r of caseRows) process.stdout.write(`${jsonRow(r)}\n`);
    },
  });
  const seconds = (performance.now() - start) / 1000;

  const failed = rows.filter((r) => !r.pass);
  const worst = (key: 'relErrAutodiff' | 'relErrNumeric') =>
    rows.filter((r) => !r.zeroGradient && !r.error).reduce((m, r) => Math.max(m, r[key]), 0);
  const summary =
    `${rows.length} rows, ${failed.length} failed; worst relErrAutodiff ${sci(worst('relErrAutodiff'))}, ` +
    `worst relErrNumeric ${sci(worst('relErrNumeric'))} (rows zero in exact arithmetic left out); ${seconds.toFixed(1)} s`;
  if (opts.json) {
    process.stderr.write(`${summary}\n`);
  } else {
    process.stdout.write(`${formatSummary('gradient checks', rows.map(tableRow))}\n${summary}\n`);
  }
  if (failed.length > 0) {
    process.stderr.write(`FAILED: ${failed.map((r) => `${r.layer} ${r.param}${r.error ? ` (${r.error})` : ''}`).join('; ')}\n`);
    process.exitCode = 1;
    const fix = opts.impl === 'exercises' ? exercisesToFix(failed.map((r) => r.layer)) : undefined;
    if (fix) process.stderr.write(`${fix}\n`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
