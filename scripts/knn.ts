/**
 * npm run knn [-- --quick] [--seed N] [--out DIR] [--folds N] [--two-loop-rows N] [--one-loop-rows N]
 *
 * Assignment 1's knn notebook: k-nearest neighbours on 5,000 training and 500 test images (raw pixels, no mean
 * subtraction), the distance matrix computed three ways and timed, accuracy for k = 1 and 5, 5-fold
 * cross-validation over k, and the best k on the test set.
 *
 * Timing. The two-loop distances (plain JavaScript loops over 500 x 5,000 pairs of 3,072 pixels) take half a
 * minute or more, so they are timed on the first --two-loop-rows test rows and the full time is extrapolated in
 * proportion (the work per row is the same); the output and metrics.json say so. The one-loop version likewise on
 * --one-loop-rows rows. Speedups are taken against the two loops.
 *
 * The no-loop version runs on all 500 rows. It is timed twice: the first call also grows the wasm heap to hold the
 * matrix. The plain loops run on one thread; the no-loop product runs on every wasm thread (runtime/wasm_threads.ts;
 * metrics.json's `threads`), so the CPU seconds are given beside the wall-clock ones.
 *
 * Writes to runs/knn/: metrics.json, samples.png (7 training images per class), distances.png (the 500 x 5,000
 * distance matrix), cross_validation.png (accuracy per k: every fold, and the mean with ±std bars).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { predictionAccuracy, fitSplitSizes, labelArray, loadCifarForScript, preprocessForScript, samplesPerClass, secondsSince, timed } from './lib/cifar';
import { KNearestNeighbor, crossValidate } from '../src/classifiers/knn';
import { disposePreprocessed } from '../src/data/preprocess';
import { heatmap, imageGrid } from '../runtime/vis/image_grid';
import { scatterWithErrorBars } from '../runtime/vis/chart';

const K_CHOICES = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100];

interface KnnOptions extends CommonOptions {
  folds: number;
  twoLoopRows: number;
  oneLoopRows: number;
}

/** Frobenius norm of a - b over the first `rows` rows of two [*, cols] matrices, as the notebook's difference check. */
function frobeniusDifference(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number): number {
  let sum = 0;
  for (let i = 0; i < rows * cols; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return Math.sqrt(sum);
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Population standard deviation, as np.std. */
function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) * (x - m))));
}

/**
 * "Load the data": the training and test rows as raw pixels [N, 3072] (the knn notebook keeps them: no mean
 * subtraction, no bias column), and the notebook's sample images, 7 training images per class.
 */
async function loadData(ctx: ScriptContext) {
  const data = await loadCifarForScript(ctx);
  const sizes = fitSplitSizes(ctx, data, ctx.quick ? { numTraining: 1000, numValidation: 0, numTest: 100, numDev: 0 } : { numTraining: 5000, numValidation: 0, numTest: 500, numDev: 0 });

  const trainSplit = data.train.subset({ start: 0, end: sizes.numTraining });
  await imageGrid(path.join(ctx.outDir, 'samples.png'), samplesPerClass(ctx, trainSplit, data.classNames.length, 7), {
    cols: data.classNames.length,
    scale: 2,
    colLabels: data.classNames,
    title: 'CIFAR-10 training images, 7 per class',
  });

  const p = preprocessForScript(ctx, data, sizes, { subtractMean: false, bias: false });
  return { p, xTrain: p.xTrain as tf.Tensor2D, xTest: p.xTest as tf.Tensor2D, yTest: labelArray(p.yTest) };
}

/**
 * One distance function timed on the first `rows` test rows, its time extrapolated to all of them. The timing
 * includes reading the result back, as the notebook's does (numpy holds it in memory already).
 */
function timeDistances(xTest: tf.Tensor2D, compute: (x: tf.Tensor2D) => tf.Tensor2D, rows: number) {
  const numTest = xTest.shape[0];
  const x = tf.slice(xTest, [0, 0], [rows, -1]) as tf.Tensor2D;
  const t = timed(() => {
    const d = compute(x);
    const values = d.dataSync();
    d.dispose();
    return values;
  });
  x.dispose();
  const scale = numTest / rows;
  return { values: t.result, rows, seconds: t.seconds, cpuSeconds: t.cpuSeconds, fullSeconds: t.seconds * scale, fullCpuSeconds: t.cpuSeconds * scale };
}

/**
 * "Compute distances": two loops and one loop (timed on their first rows and extrapolated), no loops (twice: the
 * first call also pays one-off costs, the wasm heap growing to hold the matrix), the notebook's check that they
 * agree, the timings and the distance matrix as an image.
 */
async function computeDistances(ctx: ScriptContext, opts: KnnOptions, knn: KNearestNeighbor, xTest: tf.Tensor2D, numTrain: number) {
  const numTest = xTest.shape[0];
  const two = timeDistances(xTest, (x) => knn.computeDistancesTwoLoops(x), Math.min(ctx.quick ? 10 : opts.twoLoopRows, numTest));
  ctx.log(`two loops: ${two.seconds.toFixed(2)} s for ${two.rows} of ${numTest} test rows`);
  const one = timeDistances(xTest, (x) => knn.computeDistancesOneLoop(x), Math.min(ctx.quick ? 20 : opts.oneLoopRows, numTest));
  ctx.log(`one loop: ${one.seconds.toFixed(2)} s for ${one.rows} of ${numTest} test rows`);
  const none = timeDistances(xTest, (x) => knn.computeDistancesNoLoops(x), numTest);
  const noneAgain = timeDistances(xTest, (x) => knn.computeDistancesNoLoops(x), numTest);
  const distValues = none.values;

  // The notebook's check that the three versions agree: the Frobenius norm of the difference, on the rows both have.
  // The no-loop version rounds differently (||x||^2 + ||t||^2 - 2 x.t in float32), so it differs by rounding only.
  const diffTwo = frobeniusDifference(two.values, distValues, two.rows, numTrain);
  const diffOne = frobeniusDifference(one.values, distValues, one.rows, numTrain);
  const distNorm = (rows: number) => frobeniusDifference(distValues, new Float32Array(rows * numTrain), rows, numTrain);
  const relTwo = diffTwo / distNorm(two.rows);
  const relOne = diffOne / distNorm(one.rows);
  printSummary('distance matrices: Frobenius norm of the difference from the no-loop version', [
    { version: 'two loops', 'rows compared': two.rows, difference: diffTwo, 'relative to the norm': relTwo },
    { version: 'one loop', 'rows compared': one.rows, difference: diffOne, 'relative to the norm': relOne },
  ]);
  const speedup = (t: { fullSeconds: number }) => two.fullSeconds / t.fullSeconds;
  printSummary(`distance timings, ${numTest} x ${numTrain}: the loop versions extrapolated from the rows timed; CPU = this process's CPU time (all threads)`, [
    { version: 'two loops', 'rows timed': two.rows, 'seconds timed': two.seconds, 'seconds, all rows': two.fullSeconds, 'CPU seconds, all rows': two.fullCpuSeconds, speedup: 1 },
    { version: 'one loop', 'rows timed': one.rows, 'seconds timed': one.seconds, 'seconds, all rows': one.fullSeconds, 'CPU seconds, all rows': one.fullCpuSeconds, speedup: speedup(one) },
    { version: 'no loops', 'rows timed': none.rows, 'seconds timed': none.seconds, 'seconds, all rows': none.fullSeconds, 'CPU seconds, all rows': none.fullCpuSeconds, speedup: speedup(none) },
    { version: 'no loops, again', 'rows timed': noneAgain.rows, 'seconds timed': noneAgain.seconds, 'seconds, all rows': noneAgain.fullSeconds, 'CPU seconds, all rows': noneAgain.fullCpuSeconds, speedup: speedup(noneAgain) },
  ]);

  // Small matrices (a quick run) are scaled up so that their longer side reaches about 800 pixels.
  await heatmap(path.join(ctx.outDir, 'distances.png'), distValues, numTest, numTrain, {
    scale: Math.max(1, Math.floor(800 / Math.max(numTest, numTrain))),
  });

  return { two, one, none, noneAgain, distValues, diffTwo, diffOne, relTwo, relOne, speedup };
}

/** "Predict labels": test accuracy with k = 1 and k = 5 from the no-loop distances. */
function predictLabels(knn: KNearestNeighbor, dists: tf.Tensor2D, yTest: ArrayLike<number>) {
  const numTest = dists.shape[0];
  const testAccuracy = (k: number) => predictionAccuracy(knn.predictLabels(dists, k), yTest);
  const k1 = testAccuracy(1);
  const k5 = testAccuracy(5);
  printSummary('test accuracy', [
    { k: 1, correct: Math.round(k1 * numTest), of: numTest, accuracy: k1 },
    { k: 5, correct: Math.round(k5 * numTest), of: numTest, accuracy: k5 },
  ]);
  return { k1, k5, testAccuracy };
}

/**
 * "Cross-validation": accuracy of every k in K_CHOICES on each of the folds (every k needs a training fold at least
 * that large), the best k (the highest mean accuracy; a tie goes to the smaller k), and the notebook's plot.
 */
async function crossValidation(ctx: ScriptContext, opts: KnnOptions, xTrain: tf.Tensor2D, yTrain: tf.Tensor1D) {
  const numTrain = xTrain.shape[0];
  const folds = Math.min(opts.folds, numTrain);
  const foldTrain = numTrain - Math.ceil(numTrain / folds);
  const kChoices = K_CHOICES.filter((k) => k <= foldTrain);
  if (kChoices.length < K_CHOICES.length) ctx.log(`cross-validation: k > ${foldTrain} left out (training folds hold ${foldTrain} rows)`);
  const bar = ctx.progressBar(folds, 'folds');
  const t0 = Date.now();
  let kToAccuracies: Record<number, number[]>;
  try {
    kToAccuracies = crossValidate(xTrain, yTrain, kChoices, folds, (f) => bar.update(f + 1));
  } finally {
    bar.stop();
  }
  const secondsCrossValidation = secondsSince(t0);
  const cvRows = kChoices.map((k) => {
    const accs = kToAccuracies[k];
    const row: Record<string, number> = { k };
    accs.forEach((a, f) => (row[`fold ${f + 1}`] = a));
    return { ...row, mean: mean(accs), std: std(accs) };
  });
  printSummary(`${folds}-fold cross-validation accuracy (${secondsCrossValidation.toFixed(1)} s)`, cvRows);

  // Best k: the highest mean accuracy; a tie goes to the smaller k.
  let bestK = kChoices[0];
  for (const k of kChoices) if (mean(kToAccuracies[k]) > mean(kToAccuracies[bestK])) bestK = k;

  await scatterWithErrorBars(path.join(ctx.outDir, 'cross_validation.png'), {
    title: `Cross-validation on k (${folds} folds)`,
    xLabel: 'k',
    yLabel: 'cross-validation accuracy',
    points: { x: kChoices.flatMap((k) => kToAccuracies[k].map(() => k)), y: kChoices.flatMap((k) => kToAccuracies[k]) },
    mean: { x: kChoices, y: cvRows.map((r) => r.mean), std: cvRows.map((r) => r.std) },
    pointsName: 'fold',
    meanName: 'mean ± std',
  });

  return { folds, kChoices, kToAccuracies, secondsCrossValidation, bestK };
}

async function main(): Promise<void> {
  const program = createCommand('knn', 'k-nearest neighbours on CIFAR-10 (assignment 1, knn notebook)')
    .option('--folds <n>', 'cross-validation folds', parsePositiveInt('--folds'), 5)
    .option('--two-loop-rows <n>', 'test rows the two-loop distances are timed on (then extrapolated)', parsePositiveInt('--two-loop-rows'), 50)
    .option('--one-loop-rows <n>', 'test rows the one-loop distances are timed on (then extrapolated)', parsePositiveInt('--one-loop-rows'), 100);
  program.parse();
  const opts = program.opts<KnnOptions>();
  const ctx = await startScript('knn', opts);

  const { p, xTrain, xTest, yTest } = await loadData(ctx);
  const [numTest, numTrain] = [xTest.shape[0], xTrain.shape[0]];

  const knn = new KNearestNeighbor();
  knn.train(xTrain, p.yTrain);

  const distances = await computeDistances(ctx, opts, knn, xTest, numTrain);
  const { two, one, none, noneAgain, distValues, diffTwo, diffOne, relTwo, relOne, speedup } = distances;
  const dists = tf.tensor2d(distValues, [numTest, numTrain]);
  const { k1, k5, testAccuracy } = predictLabels(knn, dists, yTest);
  const { folds, kChoices, kToAccuracies, secondsCrossValidation, bestK } = await crossValidation(ctx, opts, xTrain, p.yTrain);
  const bestKTestAcc = testAccuracy(bestK);
  knn.dispose();
  dists.dispose();

  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    num_train: numTrain,
    num_test: numTest,
    k1_test_acc: k1,
    k5_test_acc: k5,
    best_k: bestK,
    best_k_test_acc: bestKTestAcc,
    // Wall-clock seconds for all test rows; two and one loop extrapolated from the rows timed (see the notes).
    seconds_two_loops: two.fullSeconds,
    seconds_two_loops_note: `plain JavaScript loops over the pairs and their pixels; extrapolated from ${two.rows} of ${numTest} test rows (${two.seconds.toFixed(3)} s measured)`,
    seconds_one_loop: one.fullSeconds,
    seconds_one_loop_note: `extrapolated from ${one.rows} of ${numTest} test rows (${one.seconds.toFixed(3)} s measured)`,
    seconds_no_loops: none.fullSeconds,
    no_loops_speedup_over_two_loops: speedup(none),
    seconds_no_loops_second_call: noneAgain.fullSeconds,
    no_loops_second_call_speedup_over_two_loops: speedup(noneAgain),
    cpu_seconds_two_loops: two.fullCpuSeconds,
    cpu_seconds_one_loop: one.fullCpuSeconds,
    cpu_seconds_no_loops: none.fullCpuSeconds,
    no_loops_cpu_speedup_over_two_loops: two.fullCpuSeconds / none.fullCpuSeconds,
    two_loops_frobenius_difference: diffTwo,
    one_loop_frobenius_difference: diffOne,
    two_loops_relative_difference: relTwo,
    one_loop_relative_difference: relOne,
    folds,
    k_choices: kChoices,
    k_to_accuracies: kToAccuracies,
    seconds_cross_validation: secondsCrossValidation,
  });
  disposePreprocessed(p);

  printSummary('knn', {
    'k = 1 test accuracy': k1,
    'best k (cross-validation)': bestK,
    'best k test accuracy': bestKTestAcc,
    'no loops vs two loops': `${speedup(none).toFixed(0)}x faster (${speedup(noneAgain).toFixed(0)}x on a second call)`,
    'output folder': ctx.outDir,
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
