/**
 * The page's training loop: the library's Solver, stepped one iteration at a time (Solver.trainIteration) so that
 * the page can redraw between steps, plus the numbers the page shows: examples per second, and every tensor
 * alive accounted for, so that a leak shows as a count that grows while the held count stays put.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EpochInfo, Solver } from '../src/solver';
import type { PageData } from './data';
import type { Hyperparameters, PageModel } from './models';

export interface MemoryRecord {
  iteration: number;
  /** tf.memory().numTensors after the iteration. */
  numTensors: number;
  /** Tensors the page knowingly holds then (data, parameters, update-rule state, best parameters). */
  held: number;
}

/** Epochs the Solver is told to run: in effect, until the learner presses pause. */
const OPEN_ENDED_EPOCHS = 100000;
/** Iterations whose timings make the examples-per-second figure. */
const RATE_WINDOW = 20;

export class Trainer {
  readonly solver: Solver;
  readonly epochs: EpochInfo[] = [];
  readonly memory: MemoryRecord[] = [];
  private readonly stepTimes: number[] = [];
  private checkedAccuracy = false;

  constructor(
    readonly model: PageModel,
    readonly data: PageData,
    readonly hyper: Hyperparameters,
    seed: number,
    /** Training images drawn for each epoch's training accuracy (all validation images are used). */
    numTrainSamples = 500,
  ) {
    this.solver = new Solver(model, data, {
      updateRule: hyper.updateRule,
      optimConfig: { learningRate: hyper.learningRate },
      batchSize: hyper.batchSize,
      numEpochs: OPEN_ENDED_EPOCHS,
      numTrainSamples,
      verbose: false,
      seed,
      onEpoch: (info) => {
        this.epochs.push(info);
        this.checkedAccuracy = true;
      },
    });
  }

  /**
   * One iteration: a minibatch step and, at an epoch's end, the accuracy checks. Returns the minibatch loss.
   * Throws the Solver's error (a NaN or infinite loss) before any parameter changes.
   */
  step(): number {
    this.checkedAccuracy = false;
    const start = performance.now();
    this.solver.trainIteration();
    const ms = performance.now() - start;
    // Iterations that also checked accuracy ran hundreds of extra forward passes: they would understate the rate.
    if (!this.checkedAccuracy) {
      this.stepTimes.push(ms);
      if (this.stepTimes.length > RATE_WINDOW) this.stepTimes.shift();
    }
    this.memory.push({ iteration: this.solver.iteration, numTensors: tf.memory().numTensors, held: this.heldTensors().total });
    return this.solver.lossHistory[this.solver.lossHistory.length - 1];
  }

  /** Training examples per second over the last iterations (0 before the first timed one). */
  examplesPerSecond(): number {
    if (this.stepTimes.length === 0) return 0;
    const ms = this.stepTimes.reduce((a, b) => a + b, 0);
    return (1000 * this.stepTimes.length * this.hyper.batchSize) / ms;
  }

  /** Tensors the page holds on purpose: the four data tensors, the parameters, the Solver's state and best copies. */
  heldTensors(): { total: number; data: number; params: number; solver: number } {
    const data = 4;
    const params = Object.keys(this.model.params).length + Object.keys(this.model.state?.() ?? {}).length;
    let solver = Object.keys(this.solver.bestParams).length;
    for (const config of Object.values(this.solver.optimConfigs)) {
      solver += Object.values(config).filter((v) => v instanceof tf.Tensor).length;
    }
    return { total: data + params + solver, data, params, solver };
  }

  /** Frees the Solver's state and the model (the data stay: a reset reuses them). */
  dispose(): void {
    this.solver.dispose();
    this.model.dispose();
  }
}
