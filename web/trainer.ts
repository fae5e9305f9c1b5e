/**
 * The page's training loop: the library's Solver, stepped one minibatch at a time (Solver.step) so that the page
 * can redraw between steps, plus what the page shows about it:
 *
 * - live hyperparameters: the learning rate, regularisation, update rule and batch size change the running
 *   training and keep the weights (and, when the update rule stays, its momentum or moments);
 * - accuracy every `evalEvery` iterations on fixed subsets of the training and validation images, computed a
 *   chunk at a time so that the page answers clicks in between;
 * - a loss history thinned as it grows, the speed measured from the wall clock, a loss that runs away stopped;
 * - every live tensor accounted for, so that a leak shows as a count that grows while the held count stays put.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Solver } from '../src/solver';
import { predictionAccuracy, modelPredictions } from '../src/classifiers/accuracy';
import type { UpdateRuleName } from '../src/optim';
import { ThinnedSeries } from './charts';
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
}

/** The hyperparameters that change a running training without new weights. */
export type LiveHyperparameters = Pick<Hyperparameters, 'learningRate' | 'reg' | 'updateRule' | 'batchSize'>;

/** A loss this many times the first one means the parameters diverged: training stops. */
export const RUNAWAY_FACTOR = 10;
/** Images in each fixed accuracy subset, and per chunk of an accuracy check. */
const EVAL_IMAGES = 200;
const EVAL_CHUNK = 50;
/** Seconds of wall clock the speed is measured over. */
const RATE_WINDOW_MS = 3000;
/** Memory records kept (the latest). */
const MEMORY_RECORDS = 200;

/** Thrown when the loss grows far past its start: the same kind of stop as a NaN loss. */
export class RunawayLossError extends Error {}

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
  readonly losses = new ThinnedSeries();
  /** The first minibatch's loss, the reference for the runaway check. */
  initialLoss: number | null = null;
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

  /** Epochs done, fractional: iterations times batch size over the training set's size. */
  get epoch(): number {
    return (this.solver.iteration * this.hyper.batchSize) / this.data.XTrain.shape[0];
  }

  /**
   * Changes the learning rate, regularisation, update rule or batch size of the running training. The weights
   * stay; so does the update rule's state (velocity, moments) unless the rule itself changes.
   */
  reconfigure(next: LiveHyperparameters): void {
    const old = this.solver;
    const h = { ...this.hyper, ...next };
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
    this.checks.push({
      iteration: p.iteration,
      trainAcc: predictionAccuracy(p.pred.subarray(0, nt), this.trainEval.labels),
      valAcc: predictionAccuracy(p.pred.subarray(nt), this.valEval.labels),
    });
    this.pending = null;
    return true;
  }

  /**
   * One minibatch step. Returns the minibatch loss. Throws the Solver's error (a NaN or infinite loss, before any
   * parameter changes) or a RunawayLossError (a loss above RUNAWAY_FACTOR times the first); either stops training.
   * Starts an accuracy check after the first step and every evalEvery steps.
   */
  step(): number {
    const loss = this.solver.step();
    const it = this.solver.iteration;
    this.losses.push(it, loss);
    this.stamps.push({ t: performance.now(), examples: this.solver.batchSize });
    while (this.stamps.length > 2 && this.stamps[this.stamps.length - 1].t - this.stamps[0].t > RATE_WINDOW_MS) this.stamps.shift();
    if (this.initialLoss === null) this.initialLoss = loss;
    this.memory.push({ iteration: it, numTensors: tf.memory().numTensors, held: this.heldTensors().total });
    if (this.memory.length > MEMORY_RECORDS) this.memory.shift();
    if (it === 1 || it % this.evalEvery === 0) this.startCheck();
    if (loss > RUNAWAY_FACTOR * this.initialLoss) {
      throw new RunawayLossError(
        `the loss is ${loss.toPrecision(3)}, more than ${RUNAWAY_FACTOR} times its start (${this.initialLoss.toFixed(3)}), at learning rate ` +
          `${this.hyper.learningRate}: the parameters diverged; lower the learning rate (or press New weights)`,
      );
    }
    return loss;
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
