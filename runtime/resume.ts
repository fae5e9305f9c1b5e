/**
 * The one resume policy: how a Solver's run is saved at the end of every epoch and continued from there.
 *
 * Saving: checkpointEachEpoch is a Solver onEpochEnd hook that writes `<dir>/<name>_epoch_<e>` (runtime/checkpoint.ts)
 * with the model, the Solver's state (solver.state()), the settings a continuation needs, and the run record.
 *
 * Continuing: resumeSolver builds a Solver with the checkpoint's settings and puts the checkpoint's model and
 * Solver state into it, after checking that it fits: the model's parameters, the training set's size (an epoch is
 * a pass over it, so another set would count epochs in other units), the update rule.
 *
 * For scripts: prepareCheckpoints decides, before anything is trained, between a fresh run and a resumed one
 * (a fresh run never overwrites another run's checkpoints; --restart deletes them; --resume takes the newest
 * checkpoint that loads, saying which it skipped), checkSameRun refuses a command that does not continue the
 * checkpoint's run, and checkSameData refuses other data (other sizes, or other bytes: dataDigest).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../src/model';
import { EpochInfo, Solver, SolverData, SolverOptions, SolverState } from '../src/solver';
import {
  BEST_STATE_PREFIX,
  Checkpoint,
  CheckpointContents,
  CheckpointError,
  ModelSpec,
  RunRecord,
  checkCheckpointMatchesModel,
  carryOutCleanup,
  describeMismatch,
  disposeCheckpoint,
  loadCheckpoint,
  loadLatestCheckpoint,
  planCheckpointCleanup,
  readManifest,
  restoreModel,
  saveCheckpoint,
} from './checkpoint';
import { LrSchedule, scheduleFunction } from './schedule';

/** What a checkpoint records besides the model's tensors and the Solver's state. */
export interface RunInfo {
  /** The model's kind and constructor options; default: the model's own `kind` and `options` fields. */
  modelSpec?: ModelSpec | null;
  /** The run the checkpoints belong to (see RunRecord), or null. */
  run?: RunRecord | null;
  /** The learning-rate schedule the Solver's lrSchedule hook follows, recorded so that a resumed run keeps it. */
  lrSchedule?: LrSchedule | null;
}

/** The model's kind and options, when it carries them (every model of src/classifiers does). */
export function modelSpecOf(model: Model): ModelSpec | null {
  const m = model as Model & { kind?: unknown; options?: unknown };
  return typeof m.kind === 'string' ? { kind: m.kind, options: m.options } : null;
}

/** A Solver's run as checkpoint contents. The tensors are the Solver's and the model's: save them, do not dispose them. */
export function solverCheckpoint(solver: Solver, info: RunInfo = {}): CheckpointContents {
  const s = solver.state();
  return {
    model: info.modelSpec !== undefined ? info.modelSpec : modelSpecOf(solver.model),
    run: info.run ?? null,
    params: solver.model.params,
    modelState: solver.model.state?.() ?? {},
    bestParams: s.bestParams,
    bestState: s.bestState,
    optimizer: { updateRule: solver.updateRuleName, configs: s.optimConfigs },
    epoch: s.epoch,
    iteration: s.iteration,
    solver: {
      batchSize: solver.batchSize,
      numEpochs: solver.numEpochs,
      lrDecay: solver.lrDecay,
      ...(info.lrSchedule ? { lrSchedule: info.lrSchedule } : {}),
      numTrainSamples: solver.numTrainSamples,
      numValSamples: solver.numValSamples,
      seed: solver.seed,
      numTrain: solver.data.XTrain.shape[0],
    },
    lossHistory: s.lossHistory,
    trainAccHistory: s.trainAccHistory,
    valAccHistory: s.valAccHistory,
    bestValAcc: s.bestValAcc,
  };
}

/** A Solver onEpochEnd hook: writes `<dir>/<name>_epoch_<epoch>.{json,bin}` at the end of every epoch. */
export function checkpointEachEpoch(dir: string, name: string, info: RunInfo = {}): (epoch: EpochInfo, solver: Solver) => void {
  return (epoch, solver) => {
    tf.tidy(() => {
      saveCheckpoint(path.join(dir, `${name}_epoch_${epoch.epoch}`), solverCheckpoint(solver, info));
    });
  };
}

/** A loaded checkpoint's `best` group parted into the best parameters and the model state saved with them. */
export function splitBest(best: Record<string, tf.Tensor>): { params: Record<string, tf.Tensor>; state: Record<string, tf.Tensor> } {
  const params: Record<string, tf.Tensor> = {};
  const state: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(best)) {
    if (name.startsWith(BEST_STATE_PREFIX)) state[name.slice(BEST_STATE_PREFIX.length)] = t;
    else params[name] = t;
  }
  return { params, state };
}

/** Throws unless the checkpoint can continue on this Solver's model, data and update rule; changes nothing. */
function checkContinues(solver: Solver, c: Checkpoint, modelSpec: ModelSpec | null): void {
  checkCheckpointMatchesModel(c, solver.model, modelSpec);
  const n = solver.data.XTrain.shape[0];
  if (c.solver?.numTrain !== undefined && c.solver.numTrain !== n) {
    throw new CheckpointError(`checkpoint ${c.manifestPath} was trained on ${c.solver.numTrain} training examples, but this data has ${n}; resume with the same data`);
  }
  if (c.optimizer && c.optimizer.updateRule !== solver.updateRuleName) {
    throw new CheckpointError(`checkpoint ${c.manifestPath} was trained with update rule '${c.optimizer.updateRule}', not '${solver.updateRuleName}'`);
  }
  const best = splitBest(c.bestParams).params;
  const mismatch = describeMismatch(best, solver.model.params, ['checkpoint best parameters', 'model']);
  if (Object.keys(best).length > 0 && mismatch.length > 0) {
    throw new CheckpointError(`checkpoint ${c.manifestPath} best parameters do not match the model:\n  ${mismatch.join('\n  ')}`);
  }
}

/**
 * Puts a checkpoint's model parameters and state into solver.model and its Solver state into the Solver, after
 * checking that they fit (see the file comment). The checkpoint's tensors stay the caller's.
 */
export function restoreSolver(solver: Solver, c: Checkpoint, modelSpec: ModelSpec | null = modelSpecOf(solver.model)): void {
  checkContinues(solver, c, modelSpec);
  const best = splitBest(c.bestParams);
  const state: SolverState = {
    epoch: c.epoch,
    iteration: c.iteration,
    lossHistory: c.lossHistory,
    trainAccHistory: c.trainAccHistory,
    valAccHistory: c.valAccHistory,
    bestValAcc: c.bestValAcc,
    bestParams: best.params,
    bestState: best.state,
    optimConfigs: c.optimizer?.configs ?? solver.optimConfigs,
  };
  try {
    solver.restore(state);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${c.manifestPath}: ${(err as Error).message}`);
  }
  restoreModel(c, solver.model, modelSpec);
}

/**
 * A Solver that continues the checkpoint's run: its settings (batch size, epochs, lrDecay, schedule, sample
 * counts, seed) and update rule are the defaults, options given here win, and the update-rule configs come from
 * the checkpoint (so optimConfig is refused). The checkpoint's tensors stay the caller's.
 */
export function resumeSolver(model: Model, data: SolverData, c: Checkpoint, options: SolverOptions = {}): Solver {
  if (options.optimConfig) {
    throw new CheckpointError(`Solver: resuming from ${c.manifestPath} takes each parameter's update-rule config from the checkpoint; do not pass optimConfig too`);
  }
  const saved = c.solver;
  const solver = new Solver(model, data, {
    ...(saved
      ? {
          batchSize: saved.batchSize,
          numEpochs: saved.numEpochs,
          lrDecay: saved.lrDecay,
          numTrainSamples: saved.numTrainSamples,
          numValSamples: saved.numValSamples,
          seed: saved.seed,
          ...(saved.lrSchedule ? { lrSchedule: scheduleFunction(saved.lrSchedule) } : {}),
        }
      : {}),
    ...(c.optimizer ? { updateRule: c.optimizer.updateRule as SolverOptions['updateRule'] } : {}),
    ...options,
  });
  try {
    restoreSolver(solver, c);
  } catch (err) {
    solver.dispose();
    throw err;
  }
  return solver;
}

/** resumeSolver from the checkpoint at checkpointPath (loaded, used and freed). */
export function resumeSolverFrom(model: Model, data: SolverData, checkpointPath: string, options: SolverOptions = {}): Solver {
  const c = loadCheckpoint(checkpointPath);
  try {
    return resumeSolver(model, data, c, options);
  } finally {
    disposeCheckpoint(c);
  }
}

/** A new run id: the start time and a few random hex digits (an identity, not a draw that changes results). */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export interface PrepareOptions {
  resume: boolean;
  restart: boolean;
  log: (line: string) => void;
  /** The saved run in a few words, from the newest manifest (parsed JSON), for the refusal and --restart lines. */
  describeRun: (manifest: { run?: RunRecord | null; model?: ModelSpec | null; epoch?: number }) => string;
}

/** The checkpoint files (manifests and weights) of `name` in dir, manifests first. */
function checkpointFiles(dir: string, pattern: RegExp): string[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => pattern.test(f)) : [];
  return names.sort((a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json')) || a.localeCompare(b));
}

/** The newest manifest's run in words, or how many checkpoints cannot be read. */
function describeSavedRun(dir: string, files: string[], pattern: RegExp, describe: PrepareOptions['describeRun']): string {
  const manifests = files.filter((f) => f.endsWith('.json')).sort((a, b) => Number(pattern.exec(b)?.[1]) - Number(pattern.exec(a)?.[1]));
  try {
    return describe(readManifest(path.join(dir, manifests[0])));
  } catch {
    return `a run this program cannot read (${manifests.length} checkpoint${manifests.length === 1 ? '' : 's'}: another version, or damaged)`;
  }
}

/**
 * Looks at what the checkpoint folder holds before anything is trained, and refuses before it changes anything: a
 * fresh run into a folder holding checkpoints is refused unless restart, which deletes them; resume returns the
 * newest checkpoint `<name>_epoch_<e>` that loads (naming the ones it skipped) and is refused when none does. Only
 * once the command is accepted are the leftovers of killed saves removed (cleanCheckpointDir: only files a save's
 * own journal records, never a weights file it cannot prove it wrote), each named. The returned checkpoint's
 * tensors are the caller's.
 */
export function prepareCheckpoints(dir: string, name: string, o: PrepareOptions): Checkpoint | null {
  const plan = planCheckpointCleanup(dir);
  const leftovers = new Set(plan.remove.map((s) => path.basename(s.path)));
  const pattern = new RegExp(`^${name}_epoch_(\\d+)(\\.[0-9a-f]{12})?\\.(json|bin)$`);
  const files = checkpointFiles(dir, pattern).filter((f) => !leftovers.has(f));
  if (!o.resume) {
    if (files.length === 0) {
      for (const line of carryOutCleanup(plan)) o.log(line);
      return null;
    }
    const saved = describeSavedRun(dir, files, pattern, o.describeRun);
    if (!o.restart) {
      throw new CheckpointError(
        `${dir} already holds the checkpoints of ${saved}. Continue that run with --resume (with its --quick and --seed), ` +
          'pass --restart to delete them and start a new run, or choose another --out',
      );
    }
    for (const line of carryOutCleanup(plan)) o.log(line);
    // Manifests first: a restart killed half-way leaves only weights, which the next --restart deletes.
    for (const f of files) {
      fs.rmSync(path.join(dir, f), { force: true });
      if (f.endsWith('.json')) fs.rmSync(path.join(dir, `.${f}.journal`), { force: true });
    }
    o.log(`--restart: deleted the checkpoints of ${saved}`);
    return null;
  }
  const { checkpoint, skipped } = loadLatestCheckpoint(dir, name);
  if (checkpoint === null) {
    for (const s of skipped) o.log(`--resume: skipping ${path.basename(s.manifestPath)}: ${s.reason}`);
    throw new CheckpointError(
      skipped.length > 0
        ? `--resume: none of the ${skipped.length} checkpoint(s) in ${dir} loads (see above); start a new run with --restart`
        : `--resume: no checkpoint ${name}_epoch_<e>.json in ${dir}; run without --resume first (same --out)`,
    );
  }
  for (const line of carryOutCleanup(plan)) o.log(line);
  for (const s of skipped) o.log(`--resume: skipping ${path.basename(s.manifestPath)}: ${s.reason}`);
  if (skipped.length > 0) o.log(`--resume: falling back to ${path.basename(checkpoint.manifestPath)}, the newest checkpoint that loads`);
  return checkpoint;
}

/**
 * Throws unless this command continues the checkpoint's run: the checkpoint must record a run of `script` that
 * `accepts`, and `differences(run)` (one line per setting or flag that contradicts it) must be empty.
 */
export function checkSameRun<R extends RunRecord>(c: Checkpoint, script: string, accepts: (c: Checkpoint) => boolean, differences: (run: R) => string[]): void {
  const run = c.run as (RunRecord & { script?: unknown }) | null;
  if (run === null || run.script !== script || !accepts(c)) {
    throw new CheckpointError(
      `--resume: ${c.manifestPath} records no run of this script (an older checkpoint format, or another script's); ` +
        'it cannot be told apart from another run: start a new run with --restart, or choose another --out',
    );
  }
  const diffs = differences(run as R);
  if (diffs.length > 0) {
    throw new CheckpointError(
      `--resume: ${path.basename(c.manifestPath)} belongs to run ${run.id}, which this command does not continue:\n  ${diffs.join('\n  ')}\n` +
        '(--resume continues a run as it was started; for another run, choose another --out or pass --restart)',
    );
  }
}

/** Images in each split a run trains, validates and tests on, and what identifies them. */
export interface DataSizes {
  train: number;
  val: number;
  test: number;
  /** dataDigest of the images and labels the run loaded (absent in checkpoints of older runs). */
  digest?: string;
}

/**
 * What identifies a run's data by content: the SHA-256 (hex) of the given byte arrays (each one's length, then its
 * bytes), e.g. the training and test images and labels as loaded. Two imports of the same archive with different
 * --seed shuffles hold the same number of images but not the same bytes in the same order, and differ here.
 */
export function dataDigest(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const p of parts) {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(p.byteLength));
    hash.update(length).update(p);
  }
  return hash.digest('hex');
}

/**
 * Throws unless the data loaded now is the data the resumed run recorded: the same sizes (another CIFAR10_DIR, or
 * --quick), and, where the checkpoint records one, the same digest (an import of the same size made with another
 * --seed, or other images).
 */
export function checkSameData(c: Checkpoint, now: DataSizes): void {
  const saved = (c.run as { data?: DataSizes } | null)?.data;
  if (saved?.train !== now.train || saved.val !== now.val || saved.test !== now.test) {
    const sizes = (d: DataSizes | undefined) => (d ? `${d.train} / ${d.val} / ${d.test}` : 'unrecorded sizes');
    throw new CheckpointError(
      `--resume: ${path.basename(c.manifestPath)} trained on ${sizes(saved)} train / val / test images, but this data has ${sizes(now)}; ` +
        'its epochs would count passes over another set. Resume with the same data (CIFAR10_DIR) and --quick',
    );
  }
  if (typeof saved.digest === 'string' && now.digest !== undefined && saved.digest !== now.digest) {
    throw new CheckpointError(
      `--resume: ${path.basename(c.manifestPath)} trained on other images than this data holds (same sizes, data digest ${saved.digest.slice(0, 12)} then, ` +
        `${now.digest.slice(0, 12)} now: another import, or another --seed of get-data); resume with the data it was trained on (CIFAR10_DIR)`,
    );
  }
}
