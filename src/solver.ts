/**
 * The Solver: trains a model by minibatch gradient descent, as the course's `solver.py`.
 *
 *   const solver = new Solver(model, { XTrain, yTrain, XVal, yVal }, { updateRule: 'adam', optimConfig: { learningRate: 1e-3 } });
 *   solver.train();
 *   solver.bestValAcc; solver.lossHistory;  // the model now holds the parameters with the best validation accuracy
 *
 * Each step samples a minibatch (with replacement, as np.random.choice(numTrain, batchSize)), asks the model for
 * the loss and gradients, and updates every parameter with the update rule, each parameter with its own config
 * (its own velocity, cache or moments). Each epoch ends with the learning rate decayed by lrDecay, train and
 * validation accuracy checked, the best parameters copied and, when checkpointName is set, a checkpoint written.
 *
 * Randomness: epoch e's minibatches, accuracy subsamples and augmentation draws come from generators derived from
 * (seed, e) alone, so a run resumed from the checkpoint at the end of epoch e draws exactly what the uninterrupted
 * run drew.
 * (A model's own randomness, e.g. dropout masks, is the model's; it is not part of the checkpoint.)
 *
 * Memory: each step runs in one tf.tidy; the Solver keeps only the update rules' state tensors and the best
 * parameters, frees each old state tensor when the rule returns its successor, and frees the rest in dispose().
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  Checkpoint,
  CheckpointError,
  ModelSpec,
  RunRecord,
  SolverSettings,
  checkCheckpointMatchesModel,
  describeMismatch,
  disposeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from '../runtime/checkpoint';
import type { Model } from './model';
import { predictionAccuracy, modelPredictions } from './classifiers/accuracy';
import { OptimConfig, UPDATE_RULES, UpdateRule, UpdateRuleName, getUpdateRule } from './optim';
import { ProgressBar, createProgressBar } from '../runtime/progress';
import { LrSchedule, checkSchedule, learningRateAt } from './optim/schedule';
import { Rng } from './random';

export interface SolverData {
  /** Training inputs: [N, D] rows or [N, H, W, C] images (NHWC), float32. */
  XTrain: tf.Tensor;
  /** Training labels: [N] int32 in 0..C-1. */
  yTrain: tf.Tensor1D;
  /** Validation inputs, XTrain's layout. */
  XVal: tf.Tensor;
  /** Validation labels: [NVal] int32. */
  yVal: tf.Tensor1D;
}

export interface IterationInfo {
  /** Steps taken so far, 1-based (the course prints this as `Iteration t + 1`). */
  iteration: number;
  numIterations: number;
  /** Epochs completed. */
  epoch: number;
  loss: number;
}

export interface EpochInfo {
  /** Epochs completed (0 for the check after the first step, as the course does). */
  epoch: number;
  numEpochs: number;
  iteration: number;
  trainAcc: number;
  valAcc: number;
  bestValAcc: number;
}

export interface SolverOptions {
  /** A course rule name ('sgd', 'sgd_momentum', 'rmsprop', 'adam') or a function with the same signature. Default 'sgd'. */
  updateRule?: UpdateRuleName | UpdateRule;
  /** Hyperparameters given to the update rule for every parameter (numbers only, e.g. { learningRate: 1e-3 }). */
  optimConfig?: Record<string, number>;
  /** The learning rate is multiplied by this at the end of every epoch. Default 1. */
  lrDecay?: number;
  /**
   * A learning-rate schedule (src/optim/schedule.ts, e.g. one-cycle): before every step each parameter's
   * learningRate is set to the schedule's value at the step's epoch (iteration / iterationsPerEpoch), in place of
   * optimConfig.learningRate and lrDecay (which must then be 1). Saved in checkpoints; a resumed run keeps it.
   */
  lrSchedule?: LrSchedule | null;
  /** Default 100. */
  batchSize?: number;
  /** Default 10. */
  numEpochs?: number;
  /** Training examples subsampled (with replacement) for each training-accuracy check; null for all. Default 1000. */
  numTrainSamples?: number | null;
  /** Validation examples subsampled for each validation-accuracy check; null (default) for all. */
  numValSamples?: number | null;
  /** When set, a checkpoint `<checkpointName>_epoch_<e>` is written at the end of every epoch. */
  checkpointName?: string | null;
  /** Folder for checkpoints. Default '.'. */
  checkpointDir?: string;
  /** Print the loss every printEvery iterations when verbose. Default 10. */
  printEvery?: number;
  /** Print progress lines as the course does. Default true. */
  verbose?: boolean;
  /** Seed of the minibatch sampling and accuracy subsampling. Default 0. */
  seed?: number;
  /** Show a progress bar on stderr (only on a terminal). Default false. */
  progress?: boolean;
  /** Where verbose lines go. Default console.log. */
  log?: (line: string) => void;
  /** Called after every training iteration. */
  onIteration?: (info: IterationInfo) => void;
  /** Called after every accuracy check (after the first step and at the end of every epoch). */
  onEpoch?: (info: EpochInfo) => void;
  /**
   * Data augmentation: applied to every training minibatch, inside the step's tf.tidy, before the model sees it
   * (e.g. src/data/augment.ts's random flips and crops). X: the minibatch, XTrain's layout with batchSize rows;
   * rng: the epoch's augmentation generator (see the file comment). Must return a tensor of X's shape. Accuracy
   * checks see the data as it is.
   */
  augment?: (X: tf.Tensor, rng: Rng) => tf.Tensor;
  /** The model's kind and constructor options for checkpoints; default: the model's own `kind` and `options` fields. */
  modelSpec?: ModelSpec | null;
  /**
   * A checkpoint to continue from (see Solver.resume). Parameters, model state, update-rule state, epoch,
   * histories and best parameters are copied from it; the checkpoint stays the caller's to dispose. Settings
   * saved in it (batch size, epochs, lrDecay, sample counts, seed) are the defaults; options given here win.
   */
  resume?: Checkpoint;
  /** The run the checkpoints belong to (see RunRecord); default: the resumed checkpoint's, else none. */
  run?: RunRecord | null;
}

/** Thrown when training cannot go on: a loss that is NaN or infinite, or a model that breaks the contract. */
export class SolverError extends Error {
  constructor(
    message: string,
    readonly epoch: number,
    readonly iteration: number,
    readonly learningRate: number | undefined,
  ) {
    super(message);
  }
}

/**
 * The generators of epoch `epoch`, derived from the seed only: one for minibatches, one for accuracy subsamples,
 * one for augmentation (forked last, so that turning augmentation on changes neither the minibatches nor the
 * accuracy subsamples).
 */
function epochRngs(seed: number, epoch: number): { batch: Rng; accuracy: Rng; augment: Rng } {
  const root = new Rng(seed);
  let r = root.fork();
  for (let e = 0; e < epoch; e++) r = root.fork();
  return { batch: r.fork(), accuracy: r.fork(), augment: r.fork() };
}

function modelSpecOf(model: Model): ModelSpec | null {
  const m = model as Model & { kind?: unknown; options?: unknown };
  return typeof m.kind === 'string' ? { kind: m.kind, options: m.options } : null;
}

function tensorsOf(config: Partial<OptimConfig>): tf.Tensor[] {
  return Object.values(config).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
}

function checkCount(name: string, v: number | null, allowNull: boolean): void {
  if (allowNull && v === null) return;
  if (v === null || !Number.isInteger(v) || v <= 0) throw new Error(`Solver: ${name} must be a positive integer${allowNull ? ' or null' : ''}, got ${v}`);
}

export class Solver {
  readonly model: Model;
  readonly data: SolverData;
  readonly updateRule: UpdateRule;
  /** The rule's course name, or the function's name for a custom rule. */
  readonly updateRuleName: string;
  readonly batchSize: number;
  readonly numEpochs: number;
  readonly lrDecay: number;
  readonly lrSchedule: LrSchedule | null;
  readonly numTrainSamples: number | null;
  readonly numValSamples: number | null;
  readonly seed: number;
  readonly printEvery: number;
  readonly verbose: boolean;
  readonly checkpointName: string | null;
  readonly checkpointDir: string;
  readonly modelSpec: ModelSpec | null;
  readonly run: RunRecord | null;

  /** Epochs completed. */
  epoch = 0;
  /** Steps taken. */
  iteration = 0;
  lossHistory: number[] = [];
  trainAccHistory: number[] = [];
  valAccHistory: number[] = [];
  bestValAcc = 0;
  /** Copies of the parameters at the best validation accuracy so far (owned by the Solver). */
  bestParams: Record<string, tf.Tensor> = {};
  /** One update-rule config per parameter, holding its state tensors (owned by the Solver). */
  optimConfigs: Record<string, Partial<OptimConfig>> = {};

  private readonly options: SolverOptions;
  private readonly log: (line: string) => void;
  private batchRng: Rng;
  private accuracyRng: Rng;
  private augmentRng: Rng;
  private progress: ProgressBar | null = null;
  private disposed = false;

  /**
   * model: the course's model contract (params and loss). data: training and validation sets (the Solver reads
   * them, never disposes them). options: see SolverOptions.
   */
  constructor(model: Model, data: SolverData, options: SolverOptions = {}) {
    this.model = model;
    this.data = data;
    this.options = options;
    const saved: Partial<SolverSettings> = options.resume?.solver ?? {};
    this.batchSize = options.batchSize ?? saved.batchSize ?? 100;
    this.numEpochs = options.numEpochs ?? saved.numEpochs ?? 10;
    this.lrDecay = options.lrDecay ?? saved.lrDecay ?? 1;
    this.lrSchedule = options.lrSchedule !== undefined ? options.lrSchedule : (saved.lrSchedule ?? null);
    this.numTrainSamples = options.numTrainSamples !== undefined ? options.numTrainSamples : (saved.numTrainSamples ?? 1000);
    this.numValSamples = options.numValSamples !== undefined ? options.numValSamples : (saved.numValSamples ?? null);
    this.seed = options.seed ?? saved.seed ?? 0;
    this.printEvery = options.printEvery ?? 10;
    this.verbose = options.verbose ?? true;
    this.checkpointName = options.checkpointName ?? null;
    this.checkpointDir = options.checkpointDir ?? '.';
    this.modelSpec = options.modelSpec !== undefined ? options.modelSpec : modelSpecOf(model);
    this.run = options.run !== undefined ? options.run : (options.resume?.run ?? null);
    this.log = options.log ?? console.log;
    checkCount('options.batchSize', this.batchSize, false);
    checkCount('options.numEpochs', this.numEpochs, false);
    checkCount('options.printEvery', this.printEvery, false);
    checkCount('options.numTrainSamples', this.numTrainSamples, true);
    checkCount('options.numValSamples', this.numValSamples, true);
    if (!(this.lrDecay > 0)) throw new Error(`Solver: options.lrDecay must be positive, got ${this.lrDecay}`);
    if (this.lrSchedule) {
      checkSchedule(this.lrSchedule);
      if (this.lrDecay !== 1) throw new Error(`Solver: options.lrSchedule sets the learning rate of every step; lrDecay must be 1 with it, got ${this.lrDecay}`);
    }
    if (!Number.isFinite(this.seed)) throw new Error(`Solver: options.seed must be a finite number, got ${this.seed}`);
    this.checkData(data);

    const rule = options.updateRule ?? options.resume?.optimizer?.updateRule ?? 'sgd';
    if (typeof rule === 'string') {
      this.updateRule = getUpdateRule(rule);
      this.updateRuleName = rule;
    } else {
      this.updateRule = rule;
      const known = Object.entries(UPDATE_RULES).find(([, f]) => f === rule);
      this.updateRuleName = known ? known[0] : rule.name || 'custom';
    }

    for (const [k, v] of Object.entries(options.optimConfig ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`Solver: options.optimConfig.${k} must be a finite number (state tensors are kept per parameter), got ${String(v)}`);
      }
    }
    for (const name of Object.keys(model.params)) this.optimConfigs[name] = { ...(options.optimConfig ?? {}) };

    if (options.resume) this.restore(options.resume);
    const rngs = epochRngs(this.seed, this.epoch);
    this.batchRng = rngs.batch;
    this.accuracyRng = rngs.accuracy;
    this.augmentRng = rngs.augment;
  }

  /**
   * Loads the checkpoint at `checkpointPath` (written by a Solver at the end of an epoch), builds a Solver that
   * continues that run, and frees the loaded copy. The model must have the checkpoint's parameter names and shapes.
   */
  static resume(model: Model, data: SolverData, checkpointPath: string, options: Omit<SolverOptions, 'resume'> = {}): Solver {
    const ckpt = loadCheckpoint(checkpointPath);
    try {
      return new Solver(model, data, { ...options, resume: ckpt });
    } finally {
      disposeCheckpoint(ckpt);
    }
  }

  private checkData(d: SolverData): void {
    const pairs: [string, tf.Tensor, string, tf.Tensor][] = [
      ['XTrain', d.XTrain, 'yTrain', d.yTrain],
      ['XVal', d.XVal, 'yVal', d.yVal],
    ];
    for (const [xn, x, yn, y] of pairs) {
      if (!x || !y) throw new Error(`Solver: data.${x ? yn : xn} is missing; data needs XTrain, yTrain, XVal, yVal`);
      if (y.rank !== 1 || y.dtype !== 'int32') throw new Error(`Solver: data.${yn} must be int32 labels [N], got ${y.dtype} [${y.shape}]`);
      if (x.rank < 2 || x.shape[0] !== y.shape[0] || x.shape[0] === 0) {
        throw new Error(`Solver: data.${xn} [${x.shape}] must be [N, ...] with N = ${y.shape[0]}, the length of data.${yn}`);
      }
    }
  }

  /** Copies a checkpoint's state into this Solver and its model, after checking that it fits. */
  private restore(c: Checkpoint): void {
    checkCheckpointMatchesModel(c, this.model, this.modelSpec);
    this.checkSameTrainingSet(c);
    if (this.options.optimConfig) {
      throw new CheckpointError(`Solver: resuming from ${c.manifestPath} takes each parameter's update-rule config from the checkpoint; do not pass optimConfig too`);
    }
    if (c.optimizer && c.optimizer.updateRule !== this.updateRuleName) {
      throw new CheckpointError(`Solver: checkpoint ${c.manifestPath} was trained with update rule '${c.optimizer.updateRule}', not '${this.updateRuleName}'`);
    }
    const best = describeMismatch(c.bestParams, this.model.params, ['checkpoint best parameters', 'model']);
    if (Object.keys(c.bestParams).length > 0 && best.length > 0) {
      throw new CheckpointError(`checkpoint ${c.manifestPath} best parameters do not match the model:\n  ${best.join('\n  ')}`);
    }
    const stateNames = Object.keys(c.modelState);
    if (stateNames.length > 0 && !this.model.loadState) {
      throw new CheckpointError(`checkpoint ${c.manifestPath} holds model state (${stateNames.join(', ')}) but the model has no loadState()`);
    }
    for (const [name, p] of Object.entries(this.model.params)) p.assign(c.params[name]);
    if (this.model.loadState && stateNames.length > 0) {
      this.model.loadState(Object.fromEntries(stateNames.map((k) => [k, tf.clone(c.modelState[k])])));
    }
    for (const [name, t] of Object.entries(c.bestParams)) this.bestParams[name] = tf.clone(t);
    if (c.optimizer) {
      for (const name of Object.keys(this.model.params)) {
        const saved = c.optimizer.configs[name];
        if (!saved) throw new CheckpointError(`checkpoint ${c.manifestPath} has no update-rule config for parameter '${name}'`);
        const copy: Record<string, number | tf.Tensor> = {};
        for (const [k, v] of Object.entries(saved)) copy[k] = v instanceof tf.Tensor ? tf.clone(v) : (v as number);
        this.optimConfigs[name] = copy as Partial<OptimConfig>;
      }
    }
    this.epoch = c.epoch;
    this.iteration = c.iteration;
    this.lossHistory = [...c.lossHistory];
    this.trainAccHistory = [...c.trainAccHistory];
    this.valAccHistory = [...c.valAccHistory];
    this.bestValAcc = c.bestValAcc;
  }

  /**
   * An epoch is a pass over the training set: continuing a run on another training set (or batch size) would
   * count epochs in other units, so that the run overshoots or stops short (epoch 5 of 3). Checked by the size the
   * checkpoint records, and for older checkpoints by its iterations per epoch (a save may fall mid-epoch).
   */
  private checkSameTrainingSet(c: Checkpoint): void {
    const n = this.data.XTrain.shape[0];
    const saved = c.solver?.numTrain;
    if (saved !== undefined && saved !== n) {
      throw new CheckpointError(`checkpoint ${c.manifestPath} was trained on ${saved} training examples, but this data has ${n}; resume with the same data`);
    }
    if (Math.floor(c.iteration / this.iterationsPerEpoch) !== c.epoch) {
      throw new CheckpointError(
        `checkpoint ${c.manifestPath} took ${c.iteration} iterations in ${c.epoch} epochs, but an epoch of this data (${n} examples, batch ` +
          `${this.batchSize}) is ${this.iterationsPerEpoch} iterations; resume with the same data and batch size`,
      );
    }
  }

  /** Iterations in one epoch: one pass over the training set in minibatches (at least 1), as the course. */
  get iterationsPerEpoch(): number {
    return Math.max(Math.floor(this.data.XTrain.shape[0] / this.batchSize), 1);
  }

  get numIterations(): number {
    return this.numEpochs * this.iterationsPerEpoch;
  }

  /** The current learning rate (of the first parameter; all share it), or undefined before the rule has set it. */
  get learningRate(): number | undefined {
    const first = Object.values(this.optimConfigs)[0];
    return typeof first?.learningRate === 'number' ? first.learningRate : undefined;
  }

  private checkAlive(fn: string): void {
    if (this.disposed) throw new Error(`Solver.${fn}: this Solver has been disposed`);
  }

  /**
   * One gradient step on a minibatch sampled with replacement. Returns the minibatch loss (also appended to
   * lossHistory). Throws a SolverError, before touching any parameter, if the loss is NaN or infinite.
   */
  step(): number {
    this.checkAlive('step');
    const n = this.data.XTrain.shape[0];
    const indices = this.batchRng.choice(n, this.batchSize);
    if (this.lrSchedule) {
      const lr = learningRateAt(this.lrSchedule, this.iteration / this.iterationsPerEpoch);
      for (const config of Object.values(this.optimConfigs)) config.learningRate = lr;
    }
    const loss = tf.tidy(() => {
      const idx = tf.tensor1d(indices, 'int32');
      // Whole rows by gatherND (indices [B, 1]) rather than tf.gather: wasm's Gather kernel recomputes a
      // multi-index for every element and took ~30x longer (200 rows of 3072: 75 ms vs 2 ms; docs/performance.md).
      const batch = tf.gatherND(this.data.XTrain, tf.reshape(idx, [-1, 1]));
      const X = this.options.augment ? this.augmentBatch(batch) : batch;
      const y = tf.gather(this.data.yTrain, idx) as tf.Tensor1D;
      const { loss, grads } = this.model.loss(X, y);
      const value = loss.dataSync()[0];
      if (!Number.isFinite(value)) {
        const lr = this.learningRate;
        throw new SolverError(
          `Solver: the loss is ${value} at epoch ${this.epoch}, iteration ${this.iteration + 1} / ${this.numIterations}, ` +
            `learning rate ${lr === undefined ? "the rule's default" : lr}; the parameters diverged: lower the learning rate or check the model's loss`,
          this.epoch,
          this.iteration + 1,
          lr,
        );
      }
      for (const [name, param] of Object.entries(this.model.params)) {
        const grad = grads[name];
        if (!grad) {
          throw new SolverError(`Solver: model.loss returned no gradient for parameter '${name}'`, this.epoch, this.iteration + 1, this.learningRate);
        }
        const old = this.optimConfigs[name];
        const { next, config } = this.updateRule(param, grad, old);
        param.assign(next);
        const fresh = tensorsOf(config);
        for (const t of fresh) tf.keep(t);
        for (const t of tensorsOf(old)) if (!fresh.includes(t)) t.dispose();
        this.optimConfigs[name] = config;
      }
      return value;
    });
    this.iteration += 1;
    this.lossHistory.push(loss);
    return loss;
  }

  /** options.augment on a minibatch, checked to keep its shape. Call inside step's tidy. */
  private augmentBatch(batch: tf.Tensor): tf.Tensor {
    const out = (this.options.augment as NonNullable<SolverOptions['augment']>)(batch, this.augmentRng);
    if (!(out instanceof tf.Tensor) || out.rank !== batch.rank || out.shape.some((s, i) => s !== batch.shape[i])) {
      const got = out instanceof tf.Tensor ? `shape [${out.shape}]` : String(out);
      throw new SolverError(
        `Solver: options.augment must return a tensor of the minibatch's shape [${batch.shape}], got ${got}`,
        this.epoch,
        this.iteration + 1,
        this.learningRate,
      );
    }
    return out;
  }

  /**
   * Classification accuracy of the model on X (test mode), as the course's check_accuracy.
   * X: [N, ...] inputs. y: [N] int32 labels. numSamples: when set and N is larger, that many examples are drawn
   * with replacement (from the Solver's seeded generator). batchSize: examples per forward pass (default 100).
   * Returns the fraction of correct argmax predictions.
   */
  checkAccuracy(X: tf.Tensor, y: tf.Tensor1D, numSamples: number | null = null, batchSize = 100): number {
    this.checkAlive('checkAccuracy');
    checkCount('checkAccuracy: batchSize', batchSize, false);
    const n = X.shape[0];
    if (y.shape[0] !== n) throw new Error(`Solver.checkAccuracy: X [${X.shape}] and y [${y.shape}] must have the same N`);
    const labels = y.dataSync();
    if (numSamples === null || n <= numSamples) return predictionAccuracy(modelPredictions(this.model, X, batchSize), labels);
    const indices = this.accuracyRng.choice(n, numSamples);
    // gatherND, not tf.gather: see step().
    const sample = tf.tidy(() => tf.gatherND(X, tf.tensor2d(indices, [indices.length, 1], 'int32')));
    const pred = modelPredictions(this.model, sample, batchSize);
    sample.dispose();
    return predictionAccuracy(pred, Array.from(indices, (i) => labels[i]));
  }

  /**
   * The whole run: numEpochs epochs of steps from wherever this Solver stands (0, or a resumed checkpoint). At
   * the end the model holds the parameters with the best validation accuracy, as the course.
   */
  train(): void {
    this.checkAlive('train');
    this.progress = createProgressBar(this.numIterations, { enabled: this.options.progress ?? false, label: 'train', fields: ['epoch', 'loss'] });
    try {
      this.progress.update(this.iteration, { epoch: this.epoch, loss: '' });
      let more = true;
      while (more) more = this.trainIteration();
    } finally {
      this.progress.stop();
      this.progress = null;
    }
    this.useBestParams();
  }

  /**
   * One iteration of train()'s loop: a step, then the epoch's bookkeeping when it ends one (learning-rate
   * decay, accuracy checks, best parameters, checkpoint). Returns false once every iteration is done. Lets a
   * caller (a web page) interleave training with drawing; call useBestParams() when done.
   */
  trainIteration(): boolean {
    this.checkAlive('trainIteration');
    const numIterations = this.numIterations;
    const t = this.iteration;
    if (t >= numIterations) return false;
    const loss = this.step();
    if (this.verbose && t % this.printEvery === 0) this.print(`(Iteration ${t + 1} / ${numIterations}) loss: ${loss.toFixed(6)}`);

    const epochEnd = (t + 1) % this.iterationsPerEpoch === 0;
    if (epochEnd) {
      this.epoch += 1;
      for (const config of Object.values(this.optimConfigs)) {
        if (typeof config.learningRate === 'number') config.learningRate *= this.lrDecay;
      }
    }
    if (t === 0 || t === numIterations - 1 || epochEnd) this.checkEpoch();
    if (epochEnd) {
      if (this.checkpointName) this.saveCheckpoint();
      const rngs = epochRngs(this.seed, this.epoch);
      this.batchRng = rngs.batch;
      this.accuracyRng = rngs.accuracy;
      this.augmentRng = rngs.augment;
    }
    this.progress?.update(t + 1, { epoch: this.epoch, loss: loss.toFixed(4) });
    this.options.onIteration?.({ iteration: t + 1, numIterations, epoch: this.epoch, loss });
    return t + 1 < numIterations;
  }

  /** Train and validation accuracy, their histories, and the best parameters so far. */
  private checkEpoch(): void {
    const trainAcc = this.checkAccuracy(this.data.XTrain, this.data.yTrain, this.numTrainSamples);
    const valAcc = this.checkAccuracy(this.data.XVal, this.data.yVal, this.numValSamples);
    this.trainAccHistory.push(trainAcc);
    this.valAccHistory.push(valAcc);
    if (this.verbose) this.print(`(Epoch ${this.epoch} / ${this.numEpochs}) train acc: ${trainAcc.toFixed(6)}; val_acc: ${valAcc.toFixed(6)}`);
    if (valAcc > this.bestValAcc) {
      this.bestValAcc = valAcc;
      for (const [name, p] of Object.entries(this.model.params)) {
        this.bestParams[name]?.dispose();
        this.bestParams[name] = tf.keep(tf.clone(p));
      }
    }
    this.options.onEpoch?.({ epoch: this.epoch, numEpochs: this.numEpochs, iteration: this.iteration, trainAcc, valAcc, bestValAcc: this.bestValAcc });
  }

  private print(line: string): void {
    if (this.progress) this.progress.log(line, this.log);
    else this.log(line);
  }

  /** Sets the model's parameters to the best ones seen (no change if no validation check has improved on 0). */
  useBestParams(): void {
    this.checkAlive('useBestParams');
    for (const [name, p] of Object.entries(this.model.params)) {
      const best = this.bestParams[name];
      if (best) p.assign(best);
    }
  }

  /** Writes `<checkpointDir>/<checkpointName>_epoch_<epoch>.{json,bin}` and returns the base path. */
  saveCheckpoint(): string {
    this.checkAlive('saveCheckpoint');
    const name = this.checkpointName ?? 'checkpoint';
    const base = path.join(this.checkpointDir, `${name}_epoch_${this.epoch}`);
    tf.tidy(() => {
      saveCheckpoint(base, {
        model: this.modelSpec,
        run: this.run,
        params: this.model.params,
        modelState: this.model.state?.() ?? {},
        bestParams: this.bestParams,
        optimizer: { updateRule: this.updateRuleName, configs: this.optimConfigs },
        epoch: this.epoch,
        iteration: this.iteration,
        solver: {
          batchSize: this.batchSize,
          numEpochs: this.numEpochs,
          lrDecay: this.lrDecay,
          ...(this.lrSchedule ? { lrSchedule: this.lrSchedule } : {}),
          numTrainSamples: this.numTrainSamples,
          numValSamples: this.numValSamples,
          seed: this.seed,
          numTrain: this.data.XTrain.shape[0],
        },
        lossHistory: this.lossHistory,
        trainAccHistory: this.trainAccHistory,
        valAccHistory: this.valAccHistory,
        bestValAcc: this.bestValAcc,
      });
    });
    return base;
  }

  /** Frees the update rules' state and the best-parameter copies. The model and the data stay the caller's. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const config of Object.values(this.optimConfigs)) tf.dispose(tensorsOf(config));
    tf.dispose(Object.values(this.bestParams));
    this.optimConfigs = {};
    this.bestParams = {};
  }
}
