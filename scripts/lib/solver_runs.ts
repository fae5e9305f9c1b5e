/**
 * What assignment 2's notebook scripts do with a Solver: train a model on some data and keep its histories, measure
 * accuracy on a held-out split, and draw the notebooks' training-history plots (loss per iteration, train and val
 * accuracy per epoch) for several runs side by side.
 *
 * Usage:
 *   const run = trainRun(ctx, 'adam', model, data, { updateRule: 'adam', optimConfig: { learningRate: 1e-3 } });
 *   await multiChart(path.join(ctx.outDir, 'curves.png'), historyPanels([run, other]), { columns: 3 });
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../../src/model';
import { modelPredictions, predictionAccuracy } from '../../src/classifiers/accuracy';
import { Solver, SolverData, SolverError, SolverOptions } from '../../src/solver';
import { ChartPanel, linePanel } from '../../runtime/vis/chart';
import { solverProgress } from '../../runtime/progress';
import type { ScriptContext } from './cli';

/** One finished training run: the Solver's histories and how long it took. */
export interface TrainedRun {
  name: string;
  /** Minibatch loss of every iteration. */
  lossHistory: number[];
  /** Accuracy checks: after the first iteration, then at the end of every epoch. */
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  finalTrainAcc: number;
  finalValAcc: number;
  iterations: number;
  seconds: number;
  /** Set when the loss became NaN or infinite: the Solver's message. The histories stop there. */
  diverged?: string;
}

const last = (xs: number[]): number => (xs.length > 0 ? xs[xs.length - 1] : NaN);

/**
 * Trains `model` on `data` with a new Solver and returns the histories; the model ends with the best parameters
 * (by validation accuracy), as the course's Solver leaves it. Solver lines go to ctx.log (stderr), under the
 * Solver's own progress bar when progress is on.
 *
 * options: SolverOptions (the seed defaults to one drawn from ctx.rng), and progress (default ctx.progress): a bar
 * attached through the Solver's hooks. allowDivergence: a loss that becomes NaN
 * or infinite ends the run with `diverged` set instead of throwing (the weight-scale sweep expects some).
 */
export function trainRun(
  ctx: ScriptContext,
  name: string,
  model: Model,
  data: SolverData,
  options: SolverOptions & { progress?: boolean },
  allowDivergence = false,
): TrainedRun {
  const started = Date.now();
  const { progress = ctx.progress, ...solverOptions } = options;
  const bar = solverProgress(progress, ctx.log);
  const solver = new Solver(model, data, { seed: ctx.rng.nextUint32(), log: bar.log, onIteration: bar.onIteration, ...solverOptions });
  let diverged: string | undefined;
  try {
    solver.train();
  } catch (err) {
    if (!(allowDivergence && err instanceof SolverError)) {
      solver.dispose();
      throw err;
    }
    diverged = err.message;
    solver.useBestParams();
  } finally {
    bar.stop();
  }
  const run: TrainedRun = {
    name,
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    finalTrainAcc: last(solver.trainAccHistory),
    finalValAcc: last(solver.valAccHistory),
    iterations: solver.iteration,
    seconds: (Date.now() - started) / 1000,
    ...(diverged !== undefined ? { diverged } : {}),
  };
  solver.dispose();
  return run;
}

/**
 * Accuracy of a model in test mode on X [N, ...] with labels y [N] int32, in forward passes of batchSize examples
 * (the course's check_accuracy on a whole split).
 */
export function modelAccuracy(model: Model, X: tf.Tensor, y: tf.Tensor1D, batchSize = 100): number {
  return predictionAccuracy(modelPredictions(model, X, batchSize), y.dataSync());
}

/** The epoch of each accuracy check: 0 for the check after the first iteration, then 1, 2, ... */
export function checkEpochs(run: TrainedRun): number[] {
  return run.trainAccHistory.map((_, i) => i);
}

const SIZE = { width: 520, height: 360 };

/** Training loss per iteration (points), one series per run. */
export function lossPanel(runs: TrainedRun[], title: string): ChartPanel {
  return linePanel({
    title,
    xLabel: 'iteration',
    yLabel: 'loss',
    ...SIZE,
    series: runs.map((r) => ({ name: r.name, x: r.lossHistory.map((_, i) => i + 1), y: r.lossHistory, mark: 'points' as const })),
  });
}

/** Training or validation accuracy per epoch, one series per run. */
export function accuracyPanel(runs: TrainedRun[], which: 'train' | 'val', title: string): ChartPanel {
  return linePanel({
    title,
    xLabel: 'epoch',
    yLabel: 'accuracy',
    ...SIZE,
    series: runs.map((r) => ({ name: r.name, x: checkEpochs(r), y: which === 'train' ? r.trainAccHistory : r.valAccHistory, mark: 'line+points' as const })),
  });
}

/** One run's training and validation accuracy per epoch together (the overfitting plots). */
export function trainValPanel(run: TrainedRun, title: string): ChartPanel {
  return linePanel({
    title,
    xLabel: 'epoch',
    yLabel: 'accuracy',
    ...SIZE,
    series: [
      { name: 'train', x: checkEpochs(run), y: run.trainAccHistory, mark: 'line+points' },
      { name: 'val', x: checkEpochs(run), y: run.valAccHistory, mark: 'line+points' },
    ],
  });
}

/**
 * The notebooks' plot of several runs' training histories: training loss per iteration, training accuracy per
 * epoch, validation accuracy per epoch. Returns three panels for multiChart.
 */
export function historyPanels(runs: TrainedRun[], titleSuffix = ''): ChartPanel[] {
  const suffix = titleSuffix ? ` (${titleSuffix})` : '';
  return [
    lossPanel(runs, `Training loss${suffix}`),
    accuracyPanel(runs, 'train', `Training accuracy${suffix}`),
    accuracyPanel(runs, 'val', `Validation accuracy${suffix}`),
  ];
}

/** A run's histories for metrics.json (everything but the name). */
export function runMetrics(run: TrainedRun): Omit<TrainedRun, 'name'> {
  const { name: _name, ...rest } = run;
  return rest;
}

/** One row of a script's pass/fail checks against the course's expectations. */
export interface Check {
  check: string;
  value: number;
  expected: string;
  pass: boolean;
}
