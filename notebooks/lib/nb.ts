/**
 * What the notebooks' cells call, so that a cell stays a line or two: setting up (backend, whose code runs, quick
 * or full data), the checker's checks of a notebook's exercises, guards that say what a cell needs when an exercise
 * is still a stub, figures shown inline as PNG, and tables printed as the scripts print them.
 *
 * A notebook's first code cell: `const nb: typeof import('./notebooks/lib/nb') = require('./notebooks/lib/nb.ts');`
 * then `const ctx = await nb.setup('knn');`. The kernel (notebooks/kernel.ts) works from the project root.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackendAndReport } from '../../runtime/backend';
import { createProgressBar } from '../../runtime/progress';
import { Cifar10, loadCifar10 } from '../../runtime/data/reader';
import { Rng } from '../../src/random';
import { AUTODIFF_BOUND, NUMERIC_BOUND } from '../../src/gradcheck';
import { PROJECT_ROOT, SRC_DIR, activeWorkspace, redirectOnly, useWorkspace, workspaceDir, writtenExercises } from '../../learn/impl';
import { exerciseById, Exercise } from '../../learn/manifest';
import { Outcome, runChecks } from '../../learn/run_checks';
import { formatOutcome, progressLine, DEFAULT_TIMEOUT_S } from '../../learn/check';
import { currentCommit, runInfoNow, type ScriptContext } from '../../scripts/lib/cli';
import { Cell, printSummary } from '../../scripts/lib/run_dir';
import { recordsPerBatchFromEnv } from '../../scripts/lib/cifar';
import { NotebookStop } from './one_line';

export { NotebookStop };

/** Whose code the course cells run: the learner's workspace, or the library's solutions in src/. */
export type NotebookImpl = 'exercises' | 'library';

interface State {
  impl: NotebookImpl;
  /** The workspace, when one exists. */
  dir?: string;
  /** Outcomes of the checks run so far in this kernel, by exercise id. */
  outcomes: Map<string, Outcome>;
  ctx?: ScriptContext;
  figures: number;
}

const state: State = { impl: 'library', outcomes: new Map(), figures: 0 };

/** True when the notebooks run on small data: CS231N_QUICK=1, which `npm run notebooks -- --quick` sets. */
export function isQuick(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CS231N_QUICK === '1';
}

/** `full` normally, `quick` under CS231N_QUICK=1: sizes, epochs, iterations. */
export function pick<T>(full: T, quick: T): T {
  return isQuick() ? quick : full;
}

/** Every .ts file of a workspace, relative to it (what the kernel's redirect loads). */
function workspaceFiles(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.add(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

/**
 * The notebook's start: the wasm backend (on every thread, runtime/wasm_threads.ts), whose code the course cells
 * run, and a context like the one the scripts get (seed, quick, a log to stdout, a folder for figures).
 *
 * impl: 'exercises' runs the learner's workspace (CS231N_EXERCISES_DIR, else exercises/), 'library' the solutions
 * of src/; default CS231N_IMPL, else the workspace when there is one. Call it first: modules loaded before it keep
 * the code they were loaded with; running setup again forgets the course modules loaded so far, so the cells run
 * after it load them afresh (an edit of an exercise, or the other choice of impl).
 */
export async function setup(name: string, options: { impl?: NotebookImpl; seed?: number } = {}): Promise<ScriptContext> {
  const wanted = options.impl ?? (process.env.CS231N_IMPL as NotebookImpl | undefined);
  if (wanted !== undefined && wanted !== 'exercises' && wanted !== 'library') throw new NotebookStop(`impl: expected 'exercises' or 'library', got '${String(wanted)}'`);
  const dir = workspaceDir();
  state.dir = fs.existsSync(dir) ? dir : undefined;
  if (wanted === 'exercises' && !state.dir) {
    console.log(`no workspace at ${dir}: \`npm run exercises -- init\` writes one; running the library's code meanwhile`);
  }
  state.impl = state.dir && wanted !== 'library' ? 'exercises' : 'library';
  if (state.dir) {
    if (activeWorkspace() === undefined) useWorkspace(state.dir);
    redirectOnly(state.impl === 'exercises' ? workspaceFiles(state.dir) : new Set());
  }
  if (state.impl === 'exercises') {
    const { written, stubs } = writtenExercises(state.dir!);
    console.log(`running your exercises (${state.dir}): ${written.length} written, ${stubs} still stubs; setup('${name}', { impl: 'library' }) runs the library's solutions instead`);
  } else {
    console.log(`running the library's code (src/)${state.dir ? `; setup('${name}', { impl: 'exercises' }) runs yours (${state.dir})` : ''}`);
  }
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const backend = await initBackendAndReport('wasm', log);
  const seed = options.seed ?? 0;
  const quick = isQuick();
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `cs231n-notebook-${name}-`));
  const started = new Date();
  if (quick) log('quick run (CS231N_QUICK=1): small data, few iterations');
  state.figures = 0;
  state.ctx = {
    name,
    seed,
    quick,
    outDir,
    rng: new Rng(seed),
    backend,
    log,
    progress: false,
    progressBar: (total, label, fields) => createProgressBar(total, { enabled: false, label, fields }),
    runInfo: () => runInfoNow({ script: `notebook ${name}`, seed, quick, backend, commit: currentCommit(PROJECT_ROOT), command: `notebooks/${name}.ipynb` }, started),
  };
  return state.ctx;
}

/**
 * A module of src/ as the notebook runs it: the learner's copy when the workspace holds it and setup chose
 * 'exercises', else the library's. file: relative to src/, e.g. 'classifiers/knn'.
 */
export function course<T = unknown>(file: string): T {
  const full = path.join(SRC_DIR, file.endsWith('.ts') ? file : `${file}.ts`);
  if (!fs.existsSync(full)) throw new NotebookStop(`course: no file src/${file}.ts`);
  // Through the resolver that learn/impl.ts redirects (the workspace's copy when setup chose it).
  return require(full) as T;
}

/**
 * `npm run check -- <ids>` inline: the checker's line for each exercise, then its progress line, limited to these
 * exercises; later cells' `needs` go by these outcomes. Without a workspace, says how to make one.
 */
export async function check(...ids: string[]): Promise<void> {
  const exercises: Exercise[] = ids.map((id) => exerciseById(id));
  const dir = state.dir ?? (fs.existsSync(workspaceDir()) ? workspaceDir() : undefined);
  if (!dir) {
    console.log(`no workspace at ${workspaceDir()}: \`npm run exercises -- init\` writes your exercises as stubs; this cell then checks ${ids.join(', ')}`);
    return;
  }
  const outcomes = await runChecks(exercises, {
    dir,
    timeoutS: DEFAULT_TIMEOUT_S,
    parallel: Math.min(2, os.availableParallelism()),
    onOutcome: (o) => console.log(formatOutcome(o, path.relative(PROJECT_ROOT, dir).startsWith('..') ? dir : path.relative(PROJECT_ROOT, dir))),
  });
  for (const o of outcomes) state.outcomes.set(o.exercise.id, o);
  console.log(progressLine(outcomes));
}

/**
 * Whether a cell that runs these exercises can run: always with the library's code; with the learner's, when each
 * passed its check (or, not checked yet in this kernel, is written). Otherwise prints what the cell needs and
 * returns false: `if (nb.needs('svm_loss_naive')) { ... }`.
 */
export function needs(...ids: string[]): boolean {
  if (state.impl === 'library' || !state.dir) return true;
  const { written } = writtenExercises(state.dir);
  for (const id of ids) {
    const e = exerciseById(id);
    const o = state.outcomes.get(id);
    if (o && o.status.kind !== 'pass') {
      console.log(`this cell needs ${id}, which does not pass its check yet (${formatOutcome(o, state.dir).trim().replace(/\s+/g, ' ')}); or setup with { impl: 'library' } to run the library's`);
      return false;
    }
    if (!o && !written.includes(id)) {
      console.log(`this cell needs ${id}: write ${e.functions.join(', ')} in ${path.join(state.dir, e.file)} (docs/${e.doc}), then \`npm run check -- ${id}\`; or setup with { impl: 'library' } to run the library's`);
      return false;
    }
  }
  return true;
}

/** The fields of a catalogue row (reference/catalogue/harness.ts's GradRow) that gradcheck prints. */
interface CatalogueRow {
  layer: string;
  param: string;
  relErrAutodiff: number;
  relErrNumeric: number;
  numericEntries: number;
  zeroGradient: boolean;
  pass: boolean;
  error?: string;
}

/**
 * `npm run gradcheck -- --only <text>` inline: the catalogue's checks (reference/catalogue/) of every layer or model
 * whose name starts with `prefix`, on the code setup chose: each hand-written gradient against tfjs autodiff and
 * against centred differences, steps across a ReLU or max kink left out. Prints one row per gradient.
 */
export function gradcheck(prefix: string): void {
  // Loaded now, through the resolver that setup pointed at the learner's files or the library's. Typed here by the
  // fields used, so that the kernel's type checker need not read the whole catalogue.
  const { runCatalogue } = require(path.join(PROJECT_ROOT, 'reference', 'catalogue', 'run.ts')) as { runCatalogue(o: { seed: number; filter: (layer: string) => boolean }): CatalogueRow[] };
  const rows = runCatalogue({ seed: context().seed, filter: (layer) => layer.startsWith(prefix) });
  if (rows.length === 0) throw new NotebookStop(`gradcheck: no layer or model of the catalogue starts with '${prefix}'`);
  const sci = (v: number): string => (Number.isFinite(v) ? v.toExponential(1) : String(v));
  table(
    `gradients of ${prefix}...: yours against autodiff (bound ${AUTODIFF_BOUND}) and centred differences (bound ${NUMERIC_BOUND})`,
    rows.map((r) => ({
      layer: r.layer,
      gradient: r.param,
      'vs autodiff': sci(r.relErrAutodiff),
      'vs centred differences': sci(r.relErrNumeric),
      'entries compared': r.numericEntries,
      pass: r.pass ? 'ok' : 'FAIL',
      note: r.error ?? (r.zeroGradient ? 'zero in exact arithmetic' : ''),
    })),
  );
}

/** The notebook's context (setup's). */
export function context(): ScriptContext {
  if (!state.ctx) throw new NotebookStop('run the setup cell first (nb.setup)');
  return state.ctx;
}

/**
 * CIFAR-10 from CIFAR10_DIR, else data/cifar-10-batches-bin. When it is missing, stops the cell with one line that
 * says how to get it.
 */
export async function loadCifar(): Promise<Cifar10> {
  const ctx = context();
  const started = Date.now();
  const data = await loadCifar10({ recordsPerBatch: recordsPerBatchFromEnv() });
  ctx.log(`loaded ${data.train.n} training and ${data.test.n} test images from ${data.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return data;
}

/** Shows PNG bytes inline (as a cell output of type image/png). */
export function showPng(png: Uint8Array): void {
  // The kernel's own display API (tslab's, untyped here).
  const tslab = require('tslab') as { display: { png(b: Uint8Array): void } };
  tslab.display.png(png);
}

/**
 * Draws a figure with the project's chart or image-grid code and shows it inline: draw gets a file path to write
 * the PNG to (the folder of figures that setup made) and may return anything.
 */
export async function figure(draw: (file: string) => Promise<unknown> | unknown): Promise<void> {
  const ctx = context();
  const file = path.join(ctx.outDir, `figure-${String(++state.figures).padStart(2, '0')}.png`);
  await draw(file);
  if (!fs.existsSync(file)) throw new NotebookStop(`figure: nothing was written to ${file}`);
  showPng(fs.readFileSync(file));
}

/** A table as the scripts print their results (scripts/lib/run_dir.ts's printSummary). */
export function table(title: string, rows: Record<string, Cell>[] | Record<string, Cell>): void {
  printSummary(title, rows);
}
