/**
 * The page's training loop: the library's Solver, stepped one minibatch at a time (Solver.step) so that the page
 * can redraw between steps, plus what the page shows about it:
 *
 * - live hyperparameters: the learning rate, regularisation, update rule and batch size change the running
 *   training and keep the weights (and, when the update rule stays, its momentum or moments);
 * - accuracy every `evalEvery` iterations on fixed subsets of the training and validation images, computed a
 *   chunk at a time so that the page answers clicks in between;
 * - the epoch counted from the examples seen (a batch-size change does not rewrite the past), the speed measured
 *   from the wall clock, a loss whose running mean runs away stopped, a NaN loss reported with these counters;
 * - every live tensor accounted for, so that a leak shows as a count that grows while the held count stays put.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Solver, SolverError } from '../src/solver';
import { predictionAccuracy, modelPredictions } from '../src/classifiers/accuracy';
import type { UpdateRuleName } from '../src/optim';
import type { PageData } from './data';
import type { Hyperparameters, PageModel } from './models';

export interface MemoryRecord {
  iteration: number;
  /** tf.memory().numTensors after the iteration. */
  numTensors: number;
  /** Tensors the page knowingly holds then (data, parameters, update-rule state). */
  held: number;
}

export interface AccuracyCheck {
  iteration: number;
  trainAcc: number;
  valAcc: number;
  /** [true class][predicted class] counts on the fixed validation images. */
  confusion: number[][];
}

/** The hyperparameters that change a running training without new weights. */
export type LiveHyperparameters = Pick<Hyperparameters, 'learningRate' | 'reg' | 'updateRule' | 'batchSize'>;

/** A running mean of the loss this many times the first loss means the parameters diverged: training stops. */
export const RUNAWAY_FACTOR = 10;
/**
 * The runaway test looks at the mean loss over the last RUNAWAY_EXAMPLES examples (at least RUNAWAY_MIN_STEPS
 * steps): one minibatch of one image can score a loss of 25 on a model that is learning fine.
 */
export const RUNAWAY_EXAMPLES = 200;
export const RUNAWAY_MIN_STEPS = 10;
/** Images in each fixed accuracy subset, and per chunk of an accuracy check. */
const EVAL_IMAGES = 200;
const EVAL_CHUNK = 50;
/** Seconds of wall clock the speed is measured over. */
const RATE_WINDOW_MS = 3000;
/** Memory records kept (the latest). */
const MEMORY_RECORDS = 200;

/** Thrown when the loss grows far past its start: the same kind of stop as a NaN loss. */
export class RunawayLossError extends Error {
  /** loss: the minibatch loss that stopped training (NaN or infinite when that was the reason). */
  constructor(
    message: string,
    readonly loss: number,
  ) {
    super(message);
  }
}

interface PendingCheck {
  iteration: number;
  /** Predicted labels of the train subset, then of the val subset, filled a chunk at a time. */
  pred: Int32Array;
  /** How many of `pred` are filled. */
  position: number;
}

export class Trainer {
  model: PageModel;
  solver: Solver;
  hyper: Hyperparameters;
  readonly checks: AccuracyCheck[] = [];
  readonly memory: MemoryRecord[] = [];
  /** The first minibatch's loss, the reference for the runaway check. */
  initialLoss: number | null = null;
  /** Training examples the model has seen: the sum of every step's batch size. */
  examplesSeen = 0;
  /** The latest losses, as many as the runaway test's window holds, with each step's batch size. */
  private readonly recent: { loss: number; batch: number }[] = [];
  /** Set to measure the next step's update/weight ratios (babysit.ts); the step clears it. */
  measureNextStep = false;
  /** ||W after - W before|| / ||W before|| of each weight (not bias) over the last measured step. */
  lastUpdateRatios: { param: string; ratio: number }[] = [];
  private readonly stamps: { t: number; examples: number }[] = [];
  private pending: PendingCheck | null = null;
  private readonly trainEval: { X: tf.Tensor4D; labels: Int32Array };
  private readonly valEval: { X: tf.Tensor4D; labels: Int32Array };

  /**
   * build: makes a model with the given regularisation (the page's model factory); the trainer calls it again when
   * the regularisation changes and copies the weights over. evalEvery: iterations between accuracy checks.
   */
  constructor(
    private readonly build: (reg: number) => PageModel,
    readonly data: PageData,
    hyper: Hyperparameters,
    private readonly seed: number,
    readonly evalEvery = 25,
  ) {
    this.hyper = { ...hyper };
    this.model = build(hyper.reg);
    this.solver = this.newSolver(hyper, 0);
    const nt = Math.min(EVAL_IMAGES, data.XTrain.shape[0]);
    const nv = Math.min(EVAL_IMAGES, data.XVal.shape[0]);
    this.trainEval = { X: tf.slice(data.XTrain, 0, nt), labels: (data.yTrain.dataSync() as Int32Array).slice(0, nt) };
    this.valEval = { X: tf.slice(data.XVal, 0, nv), labels: (data.yVal.dataSync() as Int32Array).slice(0, nv) };
  }

  private newSolver(h: LiveHyperparameters, iteration: number): Solver {
    return new Solver(this.model, this.data, {
      updateRule: h.updateRule as UpdateRuleName,
      optimConfig: { learningRate: h.learningRate },
      batchSize: Math.min(h.batchSize, this.data.XTrain.shape[0]),
      verbose: false,
      // A new seed per reconfiguration: the minibatches go on rather than repeat those of iteration 0.
      seed: this.seed + iteration,
    });
  }

  get iteration(): number {
    return this.solver.iteration;
  }

  /** Epochs done, fractional: the examples seen over the training set's size. */
  get epoch(): number {
    return this.examplesSeen / this.data.XTrain.shape[0];
  }

  /** The mean loss over the runaway test's window (the last RUNAWAY_EXAMPLES examples, at least RUNAWAY_MIN_STEPS steps). */
  get runningLoss(): number {
    if (this.recent.length === 0) return NaN;
    return this.recent.reduce((a, r) => a + r.loss, 0) / this.recent.length;
  }

  /**
   * Changes the learning rate, regularisation, update rule or batch size of the running training. The weights
   * stay; so does the update rule's state (velocity, moments) unless the rule itself changes.
   */
  reconfigure(next: LiveHyperparameters): void {
    const old = this.solver;
    // Only the live fields: the architecture is the model's, whatever else the caller's object holds.
    const h: Hyperparameters = { ...this.hyper, learningRate: next.learningRate, reg: next.reg, updateRule: next.updateRule, batchSize: next.batchSize };
    if (next.reg !== this.hyper.reg) {
      const model = this.build(h.reg);
      for (const [name, p] of Object.entries(this.model.params)) model.params[name].assign(p);
      this.model.dispose();
      this.model = model;
    }
    const solver = this.newSolver(h, old.iteration);
    solver.iteration = old.iteration;
    solver.lossHistory = old.lossHistory;
    if (h.updateRule === this.hyper.updateRule) {
      solver.optimConfigs = old.optimConfigs;
      old.optimConfigs = {};
    }
    for (const config of Object.values(solver.optimConfigs)) config.learningRate = h.learningRate;
    old.dispose();
    this.solver = solver;
    this.hyper = h;
  }

  /** Images in the fixed accuracy subsets. */
  get evalSizes(): { train: number; val: number } {
    return { train: this.trainEval.labels.length, val: this.valEval.labels.length };
  }

  /** Whether an accuracy check is under way (the loop runs its chunks before more steps). */
  get checking(): boolean {
    return this.pending !== null;
  }

  /** Starts an accuracy check at the current weights; checkChunk() does the work. */
  startCheck(): void {
    const n = this.trainEval.labels.length + this.valEval.labels.length;
    this.pending = { iteration: this.solver.iteration, pred: new Int32Array(n), position: 0 };
  }

  /** One chunk of the pending accuracy check (EVAL_CHUNK images); returns true when the check is complete. */
  checkChunk(): boolean {
    const p = this.pending;
    if (!p) return true;
    const nt = this.trainEval.labels.length;
    const onTrain = p.position < nt;
    const set = onTrain ? this.trainEval : this.valEval;
    const start = onTrain ? p.position : p.position - nt;
    const size = Math.min(EVAL_CHUNK, set.labels.length - start);
    const X = tf.slice(set.X, start, size);
    p.pred.set(modelPredictions(this.model, X), p.position);
    X.dispose();
    p.position += size;
    if (p.position < p.pred.length) return false;
    const valPred = p.pred.subarray(nt);
    const confusion = Array.from({ length: this.data.classNames.length }, () => new Array<number>(this.data.classNames.length).fill(0));
    this.valEval.labels.forEach((label, i) => (confusion[label][valPred[i]] += 1));
    this.checks.push({
      iteration: p.iteration,
      trainAcc: predictionAccuracy(p.pred.subarray(0, nt), this.trainEval.labels),
      valAcc: predictionAccuracy(valPred, this.valEval.labels),
      confusion,
    });
    this.pending = null;
    return true;
  }

  /**
   * One minibatch step. Returns the minibatch loss. Throws a RunawayLossError, with this page's iteration and
   * epoch, when the loss is NaN or infinite (the Solver refuses the step before any parameter changes) or when the
   * running mean of the loss (see RUNAWAY_EXAMPLES) passes RUNAWAY_FACTOR times the first loss; either stops
   * training. Starts an accuracy check after the first step and every evalEvery steps.
   */
  step(): number {
    let loss: number;
    const before = this.measureNextStep ? this.weightCopies() : null;
    this.measureNextStep = false;
    try {
      loss = this.solver.step();
      if (before) this.lastUpdateRatios = this.updateRatios(before);
    } catch (e) {
      if (!(e instanceof SolverError)) throw e;
      const value = /the loss is (\S+) at/.exec(e.message)?.[1] ?? 'not a finite number';
      throw new RunawayLossError(
        `the loss is ${value} at iteration ${this.solver.iteration + 1} (epoch ${this.epoch.toFixed(1)}), learning rate ${this.hyper.learningRate}: ` +
          'the parameters diverged; lower the learning rate (or press New weights)',
        Number(value),
      );
    } finally {
      if (before) tf.dispose(Object.values(before));
    }
    const it = this.solver.iteration;
    const batch = this.solver.batchSize;
    this.examplesSeen += batch;
    this.stamps.push({ t: performance.now(), examples: batch });
    while (this.stamps.length > 2 && this.stamps[this.stamps.length - 1].t - this.stamps[0].t > RATE_WINDOW_MS) this.stamps.shift();
    if (this.initialLoss === null) this.initialLoss = loss;
    this.recent.push({ loss, batch });
    let windowExamples = this.recent.reduce((a, r) => a + r.batch, 0);
    while (this.recent.length > RUNAWAY_MIN_STEPS && windowExamples - this.recent[0].batch >= RUNAWAY_EXAMPLES) windowExamples -= this.recent.shift()?.batch ?? 0;
    this.memory.push({ iteration: it, numTensors: tf.memory().numTensors, held: this.heldTensors().total });
    if (this.memory.length > MEMORY_RECORDS) this.memory.shift();
    if (it === 1 || it % this.evalEvery === 0) this.startCheck();
    const running = this.runningLoss;
    if (running > RUNAWAY_FACTOR * this.initialLoss) {
      throw new RunawayLossError(
        `the running mean of the loss over the last ${this.recent.length} steps is ${running.toPrecision(3)}, more than ${RUNAWAY_FACTOR} times its ` +
          `start (${this.initialLoss.toFixed(3)}), at iteration ${it} (epoch ${this.epoch.toFixed(1)}), learning rate ${this.hyper.learningRate}: ` +
          'the parameters diverged; lower the learning rate (or press New weights)',
        loss,
      );
    }
    return loss;
  }

  /** Copies of the weight matrices (the biases' ratios say little: they start at zero). */
  private weightCopies(): Record<string, tf.Tensor> {
    return Object.fromEntries(Object.entries(this.model.params).filter(([k]) => k.startsWith('W')).map(([k, v]) => [k, tf.clone(v)]));
  }

  private updateRatios(before: Record<string, tf.Tensor>): { param: string; ratio: number }[] {
    return Object.entries(before).map(([param, w0]) => {
      const ratio = tf.tidy(() => {
        const step = tf.norm(tf.sub(this.model.params[param], w0)).dataSync()[0];
        const size = tf.norm(w0).dataSync()[0];
        return size > 0 ? step / size : 0;
      });
      return { param, ratio };
    });
  }

  /** Training examples per second, from the wall clock over the last few seconds (0 before two steps). */
  examplesPerSecond(): number {
    if (this.stamps.length < 2) return 0;
    const ms = this.stamps[this.stamps.length - 1].t - this.stamps[0].t;
    const examples = this.stamps.slice(1).reduce((a, s) => a + s.examples, 0);
    return ms > 0 ? (1000 * examples) / ms : 0;
  }

  /** The stamps a pause leaves behind would count the paused time as training time. */
  resetClock(): void {
    this.stamps.length = 0;
  }

  /** Tensors the page holds on purpose: data, evaluation subsets, parameters, the Solver's state and best copies. */
  heldTensors(): { total: number; data: number; params: number; solver: number } {
    const data = 4 + 2;
    const params = Object.keys(this.model.params).length + Object.keys(this.model.state?.() ?? {}).length;
    let solver = Object.keys(this.solver.bestParams).length;
    for (const config of Object.values(this.solver.optimConfigs)) {
      solver += Object.values(config).filter((v) => v instanceof tf.Tensor).length;
    }
    return { total: data + params + solver, data, params, solver };
  }

  /** Frees the Solver's state, the model and the evaluation subsets (the data stay: new weights reuse them). */
  dispose(): void {
    this.solver.dispose();
    this.model.dispose();
    tf.dispose([this.trainEval.X, this.valEval.X]);
  }
}
