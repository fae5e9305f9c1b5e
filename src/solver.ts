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
 * validation accuracy checked, and the best parameters (with the model's state, e.g. batchnorm running
 * statistics) copied.
 *
 * Hooks attach what is not the course: onIteration and onEpochEnd (progress bars, checkpoints), lrSchedule (a
 * learning rate other than the course's per-epoch decay). state() and restore() hand over and take back the whole
 * training state, so that a run saved at the end of an epoch can be continued.
 *
 * Randomness: epoch e's minibatches, accuracy subsamples and augmentation draws come from generators derived from
 * (seed, e) alone, so a run restored at the end of epoch e draws exactly what the uninterrupted run drew.
 * (A model's own randomness, e.g. dropout masks, is the model's.)
 *
 * Memory: each step runs in one tf.tidy; the Solver keeps only the update rules' state tensors and the best
 * parameters and state, frees each old state tensor when the rule returns its successor, and frees the rest in
 * dispose().
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model';
import { predictionAccuracy, modelPredictions } from './classifiers/accuracy';
import { AnyRuleName, EXTRA_RULES, OptimConfig, UPDATE_RULES, UpdateRule, getAnyRule } from './optim';
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
  /** Epochs completed, 1-based. */
  epoch: number;
  numEpochs: number;
  iteration: number;
  trainAcc: number;
  valAcc: number;
  bestValAcc: number;
}

/**
 * Everything a run has learned besides the model's own parameters and state: what a checkpoint must hold to
 * continue it. Tensors in state() are the Solver's (do not dispose them); restore() copies them.
 */
export interface SolverState {
  /** Epochs completed. */
  epoch: number;
  /** Steps taken. */
  iteration: number;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  /** The parameters at the best validation accuracy, by parameter name. */
  bestParams: Record<string, tf.Tensor>;
  /** The model's state (model.state(), e.g. batchnorm running statistics) at the best validation accuracy. */
  bestState: Record<string, tf.Tensor>;
  /** One update-rule config per parameter: numbers and state tensors (velocity, moments). */
  optimConfigs: Record<string, Partial<OptimConfig>>;
}

/** What an augmentation sees of the minibatch besides its pixels. */
export interface AugmentInfo {
  /** Epochs completed before this step (0 in the first epoch). */
  epoch: number;
  /** The training-set index of each row of the minibatch. */
  indices: Int32Array;
}

export interface SolverOptions {
  /**
   * A course rule name ('sgd', 'sgd_momentum', 'rmsprop', 'adam'), one beyond the course ('sgd_nesterov',
   * 'sgd_nesterov_lookahead'), or a function with the same signature. Default 'sgd'.
   */
  updateRule?: AnyRuleName | UpdateRule;
  /** Hyperparameters given to the update rule for every parameter (numbers only, e.g. { learningRate: 1e-3 }). */
  optimConfig?: Record<string, number>;
  /**
   * Hyperparameters of one parameter on top of optimConfig (numbers only), by parameter name: PyTorch's parameter
   * groups (e.g. a larger lrScale for batchnorm biases). Default: none.
   */
  optimConfigFor?: (name: string) => Record<string, number>;
  /**
   * How minibatches are drawn: 'replacement' (default, the course's np.random.choice(numTrain, batchSize)) or
   * 'epoch' (each epoch a fresh permutation of the training set, cut into consecutive minibatches, so every
   * example is seen once per epoch).
   */
  sampling?: 'replacement' | 'epoch';
  /** The learning rate is multiplied by this at the end of every epoch. Default 1. */
  lrDecay?: number;
  /**
   * The learning rate as a function of training progress in epochs (fractional: iteration / iterationsPerEpoch),
   * set in every parameter's config before each step: a schedule in place of the course's decay (e.g. one-cycle,
   * runtime/schedule.ts). It is then the only home of the learning rate: optimConfig.learningRate and an lrDecay
   * other than 1 are refused with it.
   */
  lrSchedule?: ((epoch: number) => number) | null;
  /** Default 100. */
  batchSize?: number;
  /** Default 10. */
  numEpochs?: number;
  /** Training examples subsampled (with replacement) for each training-accuracy check; null for all. Default 1000. */
  numTrainSamples?: number | null;
  /** Validation examples subsampled for each validation-accuracy check; null (default) for all. */
  numValSamples?: number | null;
  /** Print the loss every printEvery iterations when verbose. Default 10. */
  printEvery?: number;
  /** Print progress lines as the course does. Default true. */
  verbose?: boolean;
  /** Seed of the minibatch sampling and accuracy subsampling. Default 0. */
  seed?: number;
  /** Where verbose lines go. Default console.log. */
  log?: (line: string) => void;
  /** Called after every training iteration (after onEpochEnd when the iteration ends an epoch). */
  onIteration?: (info: IterationInfo, solver: Solver) => void;
  /** Called at the end of every epoch, after the accuracy checks and the best-parameter copy (e.g. to save a checkpoint). */
  onEpochEnd?: (info: EpochInfo, solver: Solver) => void;
  /**
   * Data augmentation: applied to every training minibatch, inside the step's tf.tidy, before the model sees it
   * (e.g. src/data/augment.ts's random flips and crops). X: the minibatch, XTrain's layout with batchSize rows;
   * rng: the epoch's augmentation generator (see the file comment); info: the epoch and the rows' training-set
   * indices (for augmentations that depend on them, e.g. alternating flips). Must return a tensor of X's shape.
   * Accuracy checks see the data as it is.
   */
  augment?: (X: tf.Tensor, rng: Rng, info: AugmentInfo) => tf.Tensor;
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

function tensorsOf(config: Partial<OptimConfig>): tf.Tensor[] {
  return Object.values(config).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
}

function cloneAll(tensors: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, tf.keep(tf.clone(t))]));
}

function checkCount(name: string, v: number | null, allowNull: boolean): void {
  if (allowNull && v === null) return;
  if (v === null || !Number.isInteger(v) || v <= 0) throw new Error(`Solver: ${name} must be a positive integer${allowNull ? ' or null' : ''}, got ${v}`);
}

function checkData(d: SolverData): void {
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

export class Solver {
  readonly model: Model;
  readonly data: SolverData;
  readonly updateRule: UpdateRule;
  /** The rule's course name, or the function's name for a custom rule. */
  readonly updateRuleName: string;
  readonly batchSize: number;
  readonly numEpochs: number;
  readonly lrDecay: number;
  readonly lrSchedule: ((epoch: number) => number) | null;
  readonly numTrainSamples: number | null;
  readonly numValSamples: number | null;
  readonly seed: number;
  readonly sampling: 'replacement' | 'epoch';
  readonly printEvery: number;
  readonly verbose: boolean;

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
  /** Copies of the model's state (batchnorm running statistics) at the best validation accuracy (owned by the Solver). */
  bestState: Record<string, tf.Tensor> = {};
  /** One update-rule config per parameter, holding its state tensors (owned by the Solver). */
  optimConfigs: Record<string, Partial<OptimConfig>> = {};

  private readonly options: SolverOptions;
  private readonly log: (line: string) => void;
  private rngs: { batch: Rng; accuracy: Rng; augment: Rng };
  /** With sampling 'epoch': this epoch's permutation of the training set, drawn at its first step. */
  private epochOrder: Int32Array | null = null;
  private disposed = false;

  /**
   * model: the course's model contract (params and loss). data: training and validation sets (the Solver reads
   * them, never disposes them). options: see SolverOptions.
   */
  constructor(model: Model, data: SolverData, options: SolverOptions = {}) {
    this.model = model;
    this.data = data;
    this.options = options;
    this.batchSize = options.batchSize ?? 100;
    this.numEpochs = options.numEpochs ?? 10;
    this.lrDecay = options.lrDecay ?? 1;
    this.lrSchedule = options.lrSchedule ?? null;
    this.numTrainSamples = options.numTrainSamples !== undefined ? options.numTrainSamples : 1000;
    this.numValSamples = options.numValSamples ?? null;
    this.seed = options.seed ?? 0;
    this.sampling = options.sampling ?? 'replacement';
    this.printEvery = options.printEvery ?? 10;
    this.verbose = options.verbose ?? true;
    this.log = options.log ?? console.log;
    checkCount('options.batchSize', this.batchSize, false);
    checkCount('options.numEpochs', this.numEpochs, false);
    checkCount('options.printEvery', this.printEvery, false);
    checkCount('options.numTrainSamples', this.numTrainSamples, true);
    checkCount('options.numValSamples', this.numValSamples, true);
    if (!(this.lrDecay > 0)) throw new Error(`Solver: options.lrDecay must be positive, got ${this.lrDecay}`);
    if (this.lrSchedule !== null && typeof this.lrSchedule !== 'function') {
      throw new Error(`Solver: options.lrSchedule must be a function from epoch to learning rate, got ${typeof this.lrSchedule}`);
    }
    if (this.lrSchedule && (this.lrDecay !== 1 || options.optimConfig?.learningRate !== undefined)) {
      throw new Error(
        `Solver: options.lrSchedule sets the learning rate of every step; do not pass optimConfig.learningRate ` +
          `(${options.optimConfig?.learningRate}) or lrDecay (${this.lrDecay}) with it`,
      );
    }
    if (this.sampling !== 'replacement' && this.sampling !== 'epoch') throw new Error(`Solver: options.sampling must be 'replacement' or 'epoch', got ${String(this.sampling)}`);
    if (!Number.isFinite(this.seed)) throw new Error(`Solver: options.seed must be a finite number, got ${this.seed}`);
    checkData(data);

    const rule = options.updateRule ?? 'sgd';
    if (typeof rule === 'string') {
      this.updateRule = getAnyRule(rule);
      this.updateRuleName = rule;
    } else {
      this.updateRule = rule;
      const known = Object.entries({ ...UPDATE_RULES, ...EXTRA_RULES }).find(([, f]) => f === rule);
      this.updateRuleName = known ? known[0] : rule.name || 'custom';
    }

    for (const [k, v] of Object.entries(options.optimConfig ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`Solver: options.optimConfig.${k} must be a finite number (state tensors are kept per parameter), got ${String(v)}`);
      }
    }
    for (const name of Object.keys(model.params)) {
      const own = options.optimConfigFor?.(name) ?? {};
      for (const [k, v] of Object.entries(own)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`Solver: options.optimConfigFor('${name}').${k} must be a finite number, got ${String(v)}`);
      }
      this.optimConfigs[name] = { ...(options.optimConfig ?? {}), ...own };
    }
    this.rngs = epochRngs(this.seed, this.epoch);
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
    const indices = this.nextIndices();
    if (this.lrSchedule) this.setScheduledRate(this.lrSchedule);
    const loss = tf.tidy(() => {
      const idx = tf.tensor1d(indices, 'int32');
      // Whole rows by gatherND (indices [B, 1]) rather than tf.gather: wasm's Gather kernel recomputes a
      // multi-index for every element and took ~30x longer (docs/performance.md).
      const batch = tf.gatherND(this.data.XTrain, tf.reshape(idx, [-1, 1]));
      const X = this.options.augment ? this.augmentBatch(batch, indices) : batch;
      const y = tf.gather(this.data.yTrain, idx) as tf.Tensor1D;
      const { loss, grads } = this.model.loss(X, y);
      const value = loss.dataSync()[0];
      if (!Number.isFinite(value)) {
        const lr = this.learningRate;
        this.fail(
          `the loss is ${value} at epoch ${this.epoch}, iteration ${this.iteration + 1} / ${this.numIterations}, ` +
            `learning rate ${lr === undefined ? "the rule's default" : lr}; the parameters diverged: lower the learning rate or check the model's loss`,
        );
      }
      for (const name of Object.keys(this.model.params)) {
        if (!grads[name]) this.fail(`model.loss returned no gradient for parameter '${name}'`);
      }
      for (const [name, param] of Object.entries(this.model.params)) this.update(name, param, grads[name]);
      return value;
    });
    this.iteration += 1;
    this.lossHistory.push(loss);
    return loss;
  }

  /** The training-set indices of the next minibatch (see SolverOptions.sampling). */
  private nextIndices(): Int32Array {
    const n = this.data.XTrain.shape[0];
    if (this.sampling === 'replacement') return this.rngs.batch.choice(n, this.batchSize);
    this.epochOrder ??= this.rngs.batch.permutation(n);
    const start = (this.iteration % this.iterationsPerEpoch) * this.batchSize;
    return this.epochOrder.slice(start, Math.min(start + this.batchSize, n));
  }

  /** The update rule on one parameter; keeps the rule's new state tensors and frees the ones it replaced. */
  private update(name: string, param: tf.Variable, grad: tf.Tensor): void {
    const old = this.optimConfigs[name];
    const { next, config } = this.updateRule(param, grad, old);
    param.assign(next);
    const fresh = tensorsOf(config);
    for (const t of fresh) tf.keep(t);
    for (const t of tensorsOf(old)) if (!fresh.includes(t)) t.dispose();
    this.optimConfigs[name] = config;
  }

  /** Every parameter's learning rate from the schedule at the step about to be taken. */
  private setScheduledRate(schedule: (epoch: number) => number): void {
    const lr = schedule(this.iteration / this.iterationsPerEpoch);
    if (typeof lr !== 'number' || !(lr >= 0) || !Number.isFinite(lr)) {
      this.fail(`options.lrSchedule must return a finite learning rate >= 0, got ${String(lr)} at iteration ${this.iteration + 1}`);
    }
    for (const config of Object.values(this.optimConfigs)) config.learningRate = lr;
  }

  private fail(message: string): never {
    throw new SolverError(`Solver: ${message}`, this.epoch, this.iteration + 1, this.learningRate);
  }

  /** options.augment on a minibatch, checked to keep its shape. Call inside step's tidy. */
  private augmentBatch(batch: tf.Tensor, indices: Int32Array): tf.Tensor {
    const out = (this.options.augment as NonNullable<SolverOptions['augment']>)(batch, this.rngs.augment, { epoch: this.epoch, indices });
    if (!(out instanceof tf.Tensor) || out.rank !== batch.rank || out.shape.some((s, i) => s !== batch.shape[i])) {
      const got = out instanceof tf.Tensor ? `shape [${out.shape}]` : String(out);
      this.fail(`options.augment must return a tensor of the minibatch's shape [${batch.shape}], got ${got}`);
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
    const indices = this.rngs.accuracy.choice(n, numSamples);
    // gatherND, not tf.gather: see step().
    const sample = tf.tidy(() => tf.gatherND(X, tf.tensor2d(indices, [indices.length, 1], 'int32')));
    const pred = modelPredictions(this.model, sample, batchSize);
    sample.dispose();
    return predictionAccuracy(pred, Array.from(indices, (i) => labels[i]));
  }

  /**
   * The whole run: numEpochs epochs of steps from wherever this Solver stands (0, or a restored state). At the
   * end the model holds the parameters (and state) with the best validation accuracy, as the course.
   */
  train(): void {
    this.checkAlive('train');
    while (this.trainIteration());
    this.useBestParams();
  }

  /**
   * One iteration of train()'s loop: a step, then the epoch's bookkeeping when it ends one (learning-rate
   * decay, accuracy checks, best parameters, onEpochEnd). Returns false once every iteration is done. Lets a
   * caller (a web page, a time budget) interleave training with its own work; call useBestParams() when done.
   */
  trainIteration(): boolean {
    this.checkAlive('trainIteration');
    const numIterations = this.numIterations;
    const t = this.iteration;
    if (t >= numIterations) return false;
    const loss = this.step();
    if (this.verbose && t % this.printEvery === 0) this.log(`(Iteration ${t + 1} / ${numIterations}) loss: ${loss.toFixed(6)}`);
    const epochEnd = (t + 1) % this.iterationsPerEpoch === 0;
    if (t === 0 && !epochEnd) this.checkEpoch();
    if (epochEnd) this.endEpoch();
    this.options.onIteration?.({ iteration: t + 1, numIterations, epoch: this.epoch, loss }, this);
    return t + 1 < numIterations;
  }

  /** The course's end of an epoch: decay the learning rate, check accuracy; then the next epoch's generators. */
  private endEpoch(): void {
    this.epoch += 1;
    for (const config of Object.values(this.optimConfigs)) {
      if (typeof config.learningRate === 'number') config.learningRate *= this.lrDecay;
    }
    const { trainAcc, valAcc } = this.checkEpoch();
    this.rngs = epochRngs(this.seed, this.epoch);
    this.epochOrder = null;
    this.options.onEpochEnd?.({ epoch: this.epoch, numEpochs: this.numEpochs, iteration: this.iteration, trainAcc, valAcc, bestValAcc: this.bestValAcc }, this);
  }

  /** Train and validation accuracy, their histories, and the best parameters and model state so far. */
  private checkEpoch(): { trainAcc: number; valAcc: number } {
    const trainAcc = this.checkAccuracy(this.data.XTrain, this.data.yTrain, this.numTrainSamples);
    const valAcc = this.checkAccuracy(this.data.XVal, this.data.yVal, this.numValSamples);
    this.trainAccHistory.push(trainAcc);
    this.valAccHistory.push(valAcc);
    if (this.verbose) this.log(`(Epoch ${this.epoch} / ${this.numEpochs}) train acc: ${trainAcc.toFixed(6)}; val_acc: ${valAcc.toFixed(6)}`);
    if (valAcc > this.bestValAcc) {
      this.bestValAcc = valAcc;
      tf.dispose([...Object.values(this.bestParams), ...Object.values(this.bestState)]);
      this.bestParams = cloneAll(this.model.params);
      this.bestState = cloneAll(this.model.state?.() ?? {});
    }
    return { trainAcc, valAcc };
  }

  /**
   * Sets the model's parameters, and its state (batchnorm running statistics), to the best ones seen (no change
   * if no validation check has improved on 0).
   */
  useBestParams(): void {
    this.checkAlive('useBestParams');
    for (const [name, p] of Object.entries(this.model.params)) {
      const best = this.bestParams[name];
      if (best) p.assign(best);
    }
    if (this.model.loadState && Object.keys(this.bestState).length > 0) this.model.loadState(cloneAll(this.bestState));
  }

  /** The training state (see SolverState). Its tensors stay the Solver's: read them, do not dispose them. */
  state(): SolverState {
    this.checkAlive('state');
    return {
      epoch: this.epoch,
      iteration: this.iteration,
      lossHistory: this.lossHistory,
      trainAccHistory: this.trainAccHistory,
      valAccHistory: this.valAccHistory,
      bestValAcc: this.bestValAcc,
      bestParams: this.bestParams,
      bestState: this.bestState,
      optimConfigs: this.optimConfigs,
    };
  }

  /**
   * Continues from a saved state (a checkpoint taken at the end of an epoch): copies its tensors, replaces this
   * Solver's, and derives the epoch's generators. The model's own parameters and state are the caller's to
   * restore. Throws, changing nothing, when the state does not fit the model or this Solver's epochs.
   */
  restore(s: SolverState): void {
    this.checkAlive('restore');
    const names = Object.keys(this.model.params);
    for (const name of names) {
      if (!s.optimConfigs[name]) throw new Error(`Solver.restore: the state has no update-rule config for parameter '${name}'`);
      const best = s.bestParams[name];
      const p = this.model.params[name];
      if (Object.keys(s.bestParams).length > 0 && (!best || best.shape.join() !== p.shape.join())) {
        throw new Error(`Solver.restore: best parameter '${name}' is [${best?.shape ?? 'missing'}], the model's is [${p.shape}]`);
      }
    }
    if (Math.floor(s.iteration / this.iterationsPerEpoch) !== s.epoch) {
      throw new Error(
        `Solver.restore: the state took ${s.iteration} iterations in ${s.epoch} epochs, but an epoch of this data (${this.data.XTrain.shape[0]} ` +
          `examples, batch ${this.batchSize}) is ${this.iterationsPerEpoch} iterations; resume with the same data and batch size`,
      );
    }
    const old = [...Object.values(this.optimConfigs).flatMap(tensorsOf), ...Object.values(this.bestParams), ...Object.values(this.bestState)];
    this.optimConfigs = Object.fromEntries(
      names.map((name) => [name, Object.fromEntries(Object.entries(s.optimConfigs[name]).map(([k, v]) => [k, v instanceof tf.Tensor ? tf.keep(tf.clone(v)) : v]))]),
    );
    this.bestParams = cloneAll(s.bestParams);
    this.bestState = cloneAll(s.bestState);
    tf.dispose(old);
    this.epoch = s.epoch;
    this.iteration = s.iteration;
    this.lossHistory = [...s.lossHistory];
    this.trainAccHistory = [...s.trainAccHistory];
    this.valAccHistory = [...s.valAccHistory];
    this.bestValAcc = s.bestValAcc;
    this.rngs = epochRngs(this.seed, this.epoch);
    this.epochOrder = null;
  }

  /** Frees the update rules' state and the best copies. The model and the data stay the caller's. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const config of Object.values(this.optimConfigs)) tf.dispose(tensorsOf(config));
    tf.dispose([...Object.values(this.bestParams), ...Object.values(this.bestState)]);
    this.optimConfigs = {};
    this.bestParams = {};
    this.bestState = {};
  }
}
