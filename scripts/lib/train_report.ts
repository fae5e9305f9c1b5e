/**
 * The end of a `npm run train` run: the evaluation on the validation and test sets (with flip averaging unless
 * --no-tta), the figures (loss, accuracy, learning rate, confusion matrix, first-layer filters), metrics.json and
 * the summary table.
 */
import * as path from 'node:path';
import { printSummary, writeMetrics } from './run_dir';
import { withFlipAveraging, withFlipTranslateAveraging } from '../../src/classifiers/tta';
import { predictionAccuracy, modelPredictions } from '../../src/classifiers/accuracy';
import { CLASS_NAMES } from '../../src/data/cifar10';
import type { Solver } from '../../src/solver';
import { LrSchedule, learningRateAt } from '../../runtime/schedule';
import { confusionMatrixChart, lineChart } from '../../runtime/vis/chart';
import { GridImage, imageGrid } from '../../runtime/vis/image_grid';
import type { ScriptContext } from './cli';
import type { TrainOptions } from './train_options';
import type { TrainData, TrainingTimes } from './train_budget';
import { TrainModel, TrainRunRecord, describeSpec } from './train_run';

/** The course's test split: the first 1,000 test images. */
const COURSE_TEST = 1000;

/**
 * The first-layer filters W1 [HH, WW, C, F] as F small images (the course's visualize_grid), each rescaled on its
 * own: RGB for colour input (C = 3), else the mean over the input channels in grey.
 */
async function drawFilters(file: string, model: TrainModel): Promise<void> {
  const w = model.params.W1;
  const [HH, WW, C, F] = w.shape;
  const values = w.dataSync();
  const c = C === 3 ? 3 : 1;
  const filters: GridImage[] = [];
  for (let f = 0; f < F; f++) {
    const data = new Float32Array(HH * WW * c);
    for (let p = 0; p < HH * WW; p++) {
      for (let ch = 0; ch < C; ch++) {
        const v = values[(p * C + ch) * F + f];
        if (c === 3) data[p * 3 + ch] = v;
        else data[p] += v / C;
      }
    }
    filters.push({ data, h: HH, w: WW, c });
  }
  await imageGrid(file, filters, {
    cols: 8,
    scale: Math.max(1, Math.round(48 / HH)),
    padding: 3,
    normalize: 'per-image',
    title: `First-layer filters (${HH}x${WW}x${C})`,
  });
}

/** Mean of each window of `size` consecutive values (shorter at the start), for a readable loss curve. */
function movingAverage(values: number[], size: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= size) sum -= values[i - size];
    out.push(sum / Math.min(i + 1, size));
  }
  return out;
}

export interface Evaluation {
  valAcc: number;
  testAcc: number;
  /** Test accuracy without test-time augmentation (the same as testAcc when --no-tta). */
  testAccPlain: number;
  /** airbench with test-time shifts: test accuracy with flip averaging alone (what the shifts add is the difference). */
  testAccFlips?: number;
  /** How testAcc's scores were averaged: '' (none), 'flip-averaged' or 'flip- and shift-averaged'. */
  tta: string;
  courseTestAcc: number;
  courseTest: number;
  /** confusion[i][j]: test images of class i predicted as j (with test-time augmentation when on). */
  confusion: number[][];
  evalSeconds: number;
}

/**
 * Accuracy on the validation set, the whole test set and the course's first 1,000 test images, with test-time
 * augmentation unless --no-tta (and on the test set also without it), and the test set's confusion matrix.
 */
export function evaluate(ctx: ScriptContext, opts: TrainOptions, m: TrainModel, data: TrainData): Evaluation {
  const evalStarted = Date.now();
  const scored = !opts.tta ? m : m.kind === 'Airbench' && opts.ttaShifts ? withFlipTranslateAveraging(m) : withFlipAveraging(m);
  const batch = 200;
  const valAcc = predictionAccuracy(modelPredictions(scored, data.XVal, batch), data.yVal.dataSync());
  const labels = data.yTest.dataSync();
  const pred = modelPredictions(scored, data.XTest, batch);
  const testAcc = predictionAccuracy(pred, labels);
  const testAccPlain = opts.tta ? predictionAccuracy(modelPredictions(m, data.XTest, batch), labels) : testAcc;
  const shifts = opts.tta && m.kind === 'Airbench' && opts.ttaShifts;
  const testAccFlips = shifts ? predictionAccuracy(modelPredictions(withFlipAveraging(m), data.XTest, batch), labels) : undefined;
  const courseTest = Math.min(COURSE_TEST, data.XTest.shape[0]);
  const courseTestAcc = predictionAccuracy(pred.subarray(0, courseTest), labels.subarray(0, courseTest));
  const K = m.options.numClasses;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < pred.length; i++) confusion[labels[i]][pred[i]]++;
  const evalSeconds = (Date.now() - evalStarted) / 1000;
  ctx.log(
    `test accuracy ${testAcc.toFixed(4)} on ${data.XTest.shape[0]} images${opts.tta ? ` with test-time augmentation (${testAccFlips !== undefined ? `${testAccFlips.toFixed(4)} with flips alone, ` : ''}${testAccPlain.toFixed(4)} without)` : ''}, ` +
      `${courseTestAcc.toFixed(4)} on the course's first ${courseTest}; evaluation ${evalSeconds.toFixed(0)} s`,
  );
  const tta = !opts.tta ? '' : shifts ? 'flip- and shift-averaged' : 'flip-averaged';
  return { valAcc, testAcc, testAccPlain, tta, ...(testAccFlips !== undefined ? { testAccFlips } : {}), courseTestAcc, courseTest, confusion, evalSeconds };
}

/** loss.png, accuracy.png, lr.png, confusion.png and filters.png in the output folder. */
export async function drawFigures(outDir: string, s: Solver, schedule: LrSchedule | null, m: TrainModel, ev: Evaluation): Promise<void> {
  const iterations = s.lossHistory.map((_, i) => i + 1);
  await lineChart(path.join(outDir, 'loss.png'), {
    title: 'Training loss',
    xLabel: 'iteration',
    yLabel: 'loss',
    series: [
      { name: 'minibatch', x: iterations, y: s.lossHistory, mark: 'points' },
      { name: 'mean of 100', x: iterations, y: movingAverage(s.lossHistory, 100) },
    ],
  });
  const checks = s.valAccHistory.map((_, i) => i);
  await lineChart(path.join(outDir, 'accuracy.png'), {
    title: 'Accuracy per epoch (train: 1,000 training images)',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    series: [
      { name: 'train', x: checks, y: s.trainAccHistory, mark: 'line+points' },
      { name: 'val', x: checks, y: s.valAccHistory, mark: 'line+points' },
    ],
  });
  if (schedule) {
    const steps = Array.from({ length: s.numIterations }, (_, i) => i / s.iterationsPerEpoch);
    await lineChart(path.join(outDir, 'lr.png'), {
      title: `Learning rate (${schedule.kind === 'one-cycle' ? 'one-cycle' : 'step decay'}), by step`,
      xLabel: 'epoch',
      yLabel: 'learning rate',
      series: [{ name: 'learning rate', x: steps, y: steps.map((e) => learningRateAt(schedule, e)) }],
    });
  }
  const tested = ev.confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  await confusionMatrixChart(path.join(outDir, 'confusion.png'), {
    counts: ev.confusion,
    classNames: m.options.numClasses === CLASS_NAMES.length ? CLASS_NAMES : ev.confusion.map((_, i) => String(i)),
    title: `Test set confusion matrix (${tested.toLocaleString('en-US')} images${ev.tta ? `, ${ev.tta}` : ''}): accuracy ${ev.testAcc.toFixed(4)}`,
  });
  await drawFilters(path.join(outDir, 'filters.png'), m);
}

/** metrics.json and the summary table. */
export function report(
  ctx: ScriptContext,
  opts: TrainOptions,
  run: { record: TrainRunRecord; resumedFromEpoch: number | null; started: number; schedule: LrSchedule | null },
  m: TrainModel,
  s: Solver,
  data: TrainData,
  times: TrainingTimes,
  bestEpoch: number,
  ev: Evaluation,
): void {
  const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
  const architecture = describeSpec(m.kind, m.options);
  const seconds = (Date.now() - run.started) / 1000;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    run_id: run.record.id,
    test_acc: ev.testAcc,
    test_acc_without_tta: ev.testAccPlain,
    ...(ev.testAccFlips !== undefined ? { test_acc_flips_only: ev.testAccFlips } : {}),
    test_acc_course_1000: ev.courseTestAcc,
    val_acc: ev.valAcc,
    best_val_acc: s.bestValAcc,
    best_epoch: bestEpoch,
    epochs: s.epoch,
    seconds,
    train_seconds: times.trainSeconds,
    eval_seconds: ev.evalSeconds,
    epoch_seconds: times.epochSeconds,
    iterations: s.iteration,
    seconds_per_iteration: mean(times.iterationSeconds),
    val_checks: times.valChecks,
    stopped_by: times.stoppedBy,
    resumed_from_epoch: run.resumedFromEpoch,
    val_acc_history: s.valAccHistory,
    train_acc_history: s.trainAccHistory,
    confusion_matrix: ev.confusion,
    loss_history: s.lossHistory,
    data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], official: data.official },
    config: {
      model: m.kind,
      architecture,
      options: m.options,
      params: numParams,
      update_rule: s.updateRuleName,
      lr_schedule: run.schedule,
      learning_rate_final: s.learningRate,
      batch_size: s.batchSize,
      epochs_planned: s.numEpochs,
      augment: opts.augment,
      tta: opts.tta,
      ...(m.kind === 'Airbench' ? { tta_shifts: Boolean(opts.tta && opts.ttaShifts), whitening: opts.whitening, alternating_flip: opts.alternatingFlip } : {}),
      time_budget_minutes: opts.timeBudget,
    },
  });
  printSummary(`Train your best model: ${m.kind} on CIFAR-10`, {
    architecture,
    parameters: numParams,
    epochs: `${s.epoch} of ${s.numEpochs}${times.stoppedBy === 'time budget' ? ' (time budget)' : ''}`,
    'best val acc (epoch)': `${s.bestValAcc.toFixed(4)} (${Number(bestEpoch.toFixed(2))})`,
    'val acc': ev.valAcc,
    [`test acc (${data.XTest.shape[0]} images${ev.tta ? `, ${ev.tta}` : ''})`]: ev.testAcc,
    ...(ev.testAccFlips !== undefined ? { 'test acc, flips alone': ev.testAccFlips } : {}),
    ...(opts.tta ? { 'test acc without TTA': ev.testAccPlain } : {}),
    [`test acc (course's ${ev.courseTest})`]: ev.courseTestAcc,
    'minutes per epoch (mean)': times.epochSeconds.length ? (mean(times.epochSeconds) as number) / 60 : null,
    'total minutes': seconds / 60,
    backend: ctx.backend,
  });
}
