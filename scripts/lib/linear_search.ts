/**
 * The linear-classifier parts that the svm, softmax and features notebooks share: the naive-versus-vectorised loss
 * comparison, the sparse numeric gradient check, and the learning-rate x regularisation search that keeps the best
 * model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LinearClassifier } from '../../src/classifiers/linear_classifier';
import { LinearLossFn } from '../../src/classifiers/linear_loss';
import { gradCheckSparse, relError } from '../../src/gradcheck';
import { colorScatterPanel, lineChart, multiChart } from '../../runtime/vis/chart';
import type { ScriptContext } from './cli';
import { predictionAccuracy, secondsSince } from './cifar';
import { printSummary } from './run_dir';

/**
 * The course's grad_check_sparse on the naive loss, printed as a table: numeric and analytic gradient at
 * `numChecks` random entries of W. The naive loss sums in float64, so the course's small step h = 1e-5 works here
 * (the float32 default of src/gradcheck.ts is for float32 losses). Returns the norm-wise relative error.
 */
export function printGradCheck(
  ctx: ScriptContext,
  title: string,
  loss: LinearLossFn,
  W: tf.Tensor2D,
  X: tf.Tensor2D,
  y: Int32Array,
  reg: number,
  numChecks = 10,
): number {
  const analytic = loss(W, X, y, reg).dW;
  const check = gradCheckSparse((w) => loss(w as tf.Tensor2D, X, y, reg).loss, W, analytic, numChecks, (n) => ctx.rng.int(n), 1e-5);
  analytic.dispose();
  printSummary(
    `${title}: numeric vs analytic gradient at ${numChecks} random entries of W (reg ${reg})`,
    check.indices.map((index, k) => {
      const [a, b] = [check.numeric[k], check.analytic[k]];
      const denom = Math.max(Math.abs(a), Math.abs(b));
      return { entry: index, numerical: a, analytic: b, 'relative error': denom === 0 ? 0 : Math.abs(a - b) / denom };
    }),
  );
  return check.norm;
}

export interface NaiveVsVectorized {
  lossNaive: number;
  lossVectorized: number;
  secondsNaive: number;
  secondsVectorized: number;
  /** Norm-wise relative difference ||dW_naive - dW_vec|| / max(||dW_naive||, ||dW_vec||) (src/gradcheck.ts relError). */
  gradRelativeDifference: number;
  /** The course's check: np.linalg.norm(grad_naive - grad_vectorized, ord='fro'). */
  gradFrobeniusDifference: number;
}

/** The notebooks' comparison of the naive and the vectorised loss on the dev set: values, times, gradients. */
export function compareNaiveVectorized(
  title: string,
  naive: LinearLossFn,
  vectorized: LinearLossFn,
  W: tf.Tensor2D,
  X: tf.Tensor2D,
  y: Int32Array,
  reg: number,
): NaiveVsVectorized {
  let t0 = Date.now();
  const a = naive(W, X, y, reg);
  const secondsNaive = secondsSince(t0);
  t0 = Date.now();
  const b = vectorized(W, X, y, reg);
  b.dW.dataSync();
  const secondsVectorized = secondsSince(t0);
  const gradFrobeniusDifference = tf.tidy(() => tf.norm(tf.sub(a.dW, b.dW)).dataSync()[0]);
  const gradRelativeDifference = relError(a.dW, b.dW).norm;
  tf.dispose([a.dW, b.dW]);
  printSummary(`${title}: naive vs vectorised on the dev set (reg ${reg})`, [
    { version: 'naive', loss: a.loss, seconds: secondsNaive },
    { version: 'vectorised', loss: b.loss, seconds: secondsVectorized },
  ]);
  printSummary(`${title}: gradient difference`, {
    'loss difference': Math.abs(a.loss - b.loss),
    'Frobenius norm of dW_naive - dW_vectorised': gradFrobeniusDifference,
    'norm-wise relative difference': gradRelativeDifference,
  });
  return { lossNaive: a.loss, lossVectorized: b.loss, secondsNaive, secondsVectorized, gradRelativeDifference, gradFrobeniusDifference };
}

export interface LinearData {
  xTrain: tf.Tensor2D;
  yTrain: Int32Array;
  xVal: tf.Tensor2D;
  yVal: Int32Array;
}

export interface SearchRow {
  learningRate: number;
  reg: number;
  trainAcc: number;
  valAcc: number;
  finalLoss: number;
  seconds: number;
  /** Minibatch loss of every iteration. */
  lossHistory: number[];
}

/** One stage of a step-decay schedule: a fraction of the iterations, run at the learning rate times lrScale. */
export interface ScheduleStage {
  fraction: number;
  lrScale: number;
}

/** A constant learning rate, as the course's LinearClassifier.train. */
export const CONSTANT_LR: ScheduleStage[] = [{ fraction: 1, lrScale: 1 }];

export interface SearchOptions {
  learningRates: number[];
  regs: number[];
  numIters: number;
  batchSize: number;
  /**
   * Step decay (default CONSTANT_LR): the stages run in order, each a call to train() that continues from the
   * current W with the learning rate scaled down. Fractions must sum to 1.
   */
  schedule?: ScheduleStage[];
}

/** Iterations per stage: rounded, the last stage taking what is left so that they sum to numIters. */
function stageIterations(schedule: ScheduleStage[], numIters: number): number[] {
  const total = schedule.reduce((s, st) => s + st.fraction, 0);
  if (Math.abs(total - 1) > 1e-9 || schedule.some((st) => !(st.fraction > 0) || !(st.lrScale > 0))) {
    throw new Error(`searchLinear: schedule fractions must be positive and sum to 1, lrScale positive; got ${JSON.stringify(schedule)}`);
  }
  const iters = schedule.map((st) => Math.round(st.fraction * numIters));
  iters[iters.length - 1] = numIters - iters.slice(0, -1).reduce((a, b) => a + b, 0);
  return iters;
}

/** A schedule for people: '60% at lr, 20% at lr x 0.3, 20% at lr x 0.1'. */
export function describeSchedule(schedule: ScheduleStage[]): string {
  if (schedule.length === 1) return 'constant learning rate';
  return schedule.map((st) => `${Math.round(st.fraction * 100)}% at lr${st.lrScale === 1 ? '' : ` x ${st.lrScale}`}`).join(', ');
}

/**
 * Trains one classifier per (learning rate, reg) pair for numIters SGD steps (with the learning rate stepped
 * down by options.schedule, if given), prints the table the notebooks
 * print (train and validation accuracy per pair), and returns every row with the best classifier by validation
 * accuracy (the others are disposed). A diverged run (NaN or infinite loss) is reported as such and never kept.
 * Each run draws its initialisation and minibatches from its own fork of ctx.rng.
 */
export function searchLinear(
  ctx: ScriptContext,
  title: string,
  make: () => LinearClassifier,
  data: LinearData,
  options: SearchOptions,
): { rows: SearchRow[]; best: LinearClassifier; bestRow: SearchRow } {
  const rows: SearchRow[] = [];
  let best: LinearClassifier | null = null;
  let bestRow: SearchRow | null = null;
  const schedule = options.schedule ?? CONSTANT_LR;
  const stageIters = stageIterations(schedule, options.numIters);
  const pairs = options.learningRates.flatMap((learningRate) => options.regs.map((reg) => ({ learningRate, reg })));
  const bar = ctx.progressBar(pairs.length * options.numIters, title, ['lr', 'reg']);
  try {
    for (const [n, { learningRate, reg }] of pairs.entries()) {
      const clf = make();
      const t0 = Date.now();
      const rng = ctx.rng.fork();
      const losses: number[] = [];
      schedule.forEach((stage, k) => {
        const done = losses.length;
        losses.push(
          ...clf.train(data.xTrain, data.yTrain, {
            learningRate: learningRate * stage.lrScale,
            reg,
            numIters: stageIters[k],
            batchSize: options.batchSize,
            rng,
            onIteration: (it) => bar.update(n * options.numIters + done + it + 1, { lr: learningRate, reg }),
          }),
        );
      });
      const finalLoss = losses[losses.length - 1];
      const diverged = !Number.isFinite(finalLoss);
      const row: SearchRow = {
        learningRate,
        reg,
        trainAcc: diverged ? NaN : predictionAccuracy(clf.predict(data.xTrain), data.yTrain),
        valAcc: diverged ? NaN : predictionAccuracy(clf.predict(data.xVal), data.yVal),
        finalLoss,
        seconds: secondsSince(t0),
        lossHistory: losses,
      };
      rows.push(row);
      ctx.log(
        `lr ${learningRate.toExponential(1)} reg ${reg.toExponential(1)}: ` +
          (diverged ? `diverged (loss ${finalLoss})` : `train accuracy ${row.trainAcc.toFixed(4)}, val accuracy ${row.valAcc.toFixed(4)}`),
      );
      if (!diverged && (bestRow === null || row.valAcc > bestRow.valAcc)) {
        best?.dispose();
        best = clf;
        bestRow = row;
      } else {
        clf.dispose();
      }
    }
  } finally {
    bar.stop();
  }
  if (best === null || bestRow === null) throw new Error(`${title}: every run diverged; lower the learning rates`);
  printSummary(
    `${title}: ${options.numIters} iterations, batch ${options.batchSize}, ${describeSchedule(schedule)}`,
    rows.map((r) => ({
      'learning rate': r.learningRate,
      reg: r.reg,
      'train accuracy': r.trainAcc,
      'val accuracy': r.valAcc,
      'final loss': r.finalLoss,
      seconds: r.seconds,
      best: r === bestRow ? '*' : '',
    })),
  );
  return { rows, best, bestRow };
}

/** Search rows for metrics.json: everything but the loss histories. */
export function searchRowsForMetrics(rows: SearchRow[]): Omit<SearchRow, 'lossHistory'>[] {
  return rows.map(({ learningRate, reg, trainAcc, valAcc, finalLoss, seconds }) => ({ learningRate, reg, trainAcc, valAcc, finalLoss, seconds }));
}

/** The notebooks' search plot: train and validation accuracy over (log lr, log reg), side by side. */
export async function searchChart(filePath: string, title: string, rows: SearchRow[]): Promise<string> {
  const ok = rows.filter((r) => Number.isFinite(r.valAcc));
  const panel = (which: 'trainAcc' | 'valAcc', name: string) =>
    colorScatterPanel({
      title: `${title}: ${name}`,
      xLabel: 'log10 learning rate',
      yLabel: 'log10 regularization strength',
      colorLabel: name,
      x: ok.map((r) => Math.log10(r.learningRate)),
      y: ok.map((r) => Math.log10(r.reg)),
      value: ok.map((r) => r[which]),
      width: 480,
      height: 360,
    });
  return multiChart(filePath, [panel('trainAcc', 'training accuracy'), panel('valAcc', 'validation accuracy')]);
}

/**
 * The loss curves of the search: the best run's, and the run with the notebook's own setting when given and the
 * grid holds it (the notebook plots that one), on a log axis so that both the start and the plateau show.
 */
export async function lossChart(
  filePath: string,
  title: string,
  bestRow: SearchRow,
  rows: SearchRow[],
  notebook?: { learningRate: number; reg: number },
): Promise<string> {
  const label = (r: SearchRow) => `lr ${r.learningRate}, reg ${r.reg}`;
  const series = [{ name: `best: ${label(bestRow)}`, x: bestRow.lossHistory.map((_, i) => i), y: bestRow.lossHistory }];
  const nb = notebook && rows.find((r) => r !== bestRow && r.learningRate === notebook.learningRate && r.reg === notebook.reg);
  if (nb) series.push({ name: `notebook: ${label(nb)}`, x: nb.lossHistory.map((_, i) => i), y: nb.lossHistory });
  return lineChart(filePath, { title: `${title} minibatch loss`, xLabel: 'iteration', yLabel: 'loss', logY: true, series });
}
