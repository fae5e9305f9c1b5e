/**
 * The svm and softmax notebooks of assignment 1 run the same steps and differ only in the loss, its classifier and
 * its grid: each script (scripts/svm.ts, scripts/softmax.ts) explains its notebook and tuned grid and passes a
 * LinearNotebookConfig; runLinearNotebook does the rest, with the search itself from linear_search.ts. The features
 * notebook trains linear classifiers too, but on features and beside a net, so it uses linear_search.ts directly.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, parsePositiveInt, startScript } from './cli';
import { printSummary, writeMetrics } from './run_dir';
import { predictionAccuracy, fitSplitSizes, labelArray, loadCifarForScript, preprocessForScript, secondsSince, weightImages } from './cifar';
import { ScheduleStage, compareNaiveVectorized, describeSchedule, lossChart, printGradCheck, searchChart, searchLinear, searchRowsForMetrics } from './linear_search';
import { LinearClassifier } from '../../src/classifiers/linear_classifier';
import { LinearLossFn } from '../../src/classifiers/linear_loss';
import { disposePreprocessed } from '../../src/data/preprocess';
import { imageGrid } from '../../runtime/vis/image_grid';

/**
 * Step decay: 60% of the iterations at the learning rate, then 20% at 0.3x and 20% at 0.1x. With a constant rate
 * SGD's last iterate keeps jumping with the minibatch noise; the last, smaller steps let it settle.
 */
const SCHEDULE: ScheduleStage[] = [
  { fraction: 0.6, lrScale: 1 },
  { fraction: 0.2, lrScale: 0.3 },
  { fraction: 0.2, lrScale: 0.1 },
];

/** What one notebook sets; everything else is the same for both losses. */
export interface LinearNotebookConfig {
  /** The script's name: its command, its run folder runs/<name>/ and metrics.json's `script`. */
  name: string;
  /** The command's description in --help. */
  description: string;
  /** The loss in table and figure titles ('SVM', 'softmax'): "<displayName> search", "<displayName> weights (...)". */
  displayName: string;
  /** A new, untrained classifier for each run of the search. */
  classifier: () => LinearClassifier;
  lossNaive: LinearLossFn;
  lossVectorized: LinearLossFn;
  /** The search grid; --quick keeps the first two of each. */
  learningRates: number[];
  regs: number[];
  /** The notebook's own setting, in the grid: loss.png draws its curve beside the best one. */
  notebookSetting: { learningRate: number; reg: number };
  /** reg of the first naive loss on the dev set (the notebook's value). */
  initialLossReg: number;
  /** What that first loss should be about, from the number of classes, and the label it is printed under. */
  sanityCheck: { label: string; expected: (numClasses: number) => number };
  /** Title of the closing summary table. */
  summaryTitle: string;
}

interface LinearNotebookOptions extends CommonOptions {
  iters: number;
  batchSize: number;
}

/** Parses the command line and runs the notebook: prints the tables, writes metrics.json and the figures. */
/**
 * The loss function section: the naive loss on the dev set with small random weights (and the notebook's sanity
 * value), the gradient check without and with regularisation, and naive vs vectorised loss and gradient.
 */
function lossFunction(ctx: ScriptContext, config: LinearNotebookConfig, xDev: tf.Tensor2D, yDev: Int32Array, numClasses: number) {
  const { displayName } = config;
  const dim = xDev.shape[1];
  const W = ctx.rng.randn([dim, numClasses], 0.0001) as tf.Tensor2D;
  const initial = config.lossNaive(W, xDev, yDev, config.initialLossReg);
  initial.dW.dispose();
  printSummary(`naive ${displayName} loss on the dev set, W ~ 1e-4 N(0, 1)`, {
    loss: initial.loss,
    [config.sanityCheck.label]: config.sanityCheck.expected(numClasses),
  });
  const gradCheckNoReg = printGradCheck(ctx, displayName, config.lossNaive, W, xDev, yDev, 0);
  const gradCheckReg = printGradCheck(ctx, displayName, config.lossNaive, W, xDev, yDev, 5e1);
  const compared = compareNaiveVectorized(displayName, config.lossNaive, config.lossVectorized, W, xDev, yDev, 0.000005);
  W.dispose();

  return { initial, gradCheckNoReg, gradCheckReg, compared };
}

/**
 * "Stochastic gradient descent" and the hyperparameter search on the validation set, then the best classifier's
 * test accuracy and its weights drawn as images ("Visualize the learned weights for each class").
 */
async function tuneAndEvaluate(
  ctx: ScriptContext,
  config: LinearNotebookConfig,
  opts: LinearNotebookOptions,
  numIters: number,
  split: { xTrain: tf.Tensor2D; yTrain: Int32Array; xVal: tf.Tensor2D; yVal: Int32Array; xTest: tf.Tensor2D; yTest: Int32Array },
  classNames: string[],
) {
  const { displayName } = config;
  const { xTrain, yTrain, xVal, yVal, xTest, yTest } = split;
  const numClasses = classNames.length;
  const t0 = Date.now();
  const search = searchLinear(
    ctx,
    `${displayName} search`,
    config.classifier,
    { xTrain, yTrain, xVal, yVal },
    {
      learningRates: ctx.quick ? config.learningRates.slice(0, 2) : config.learningRates,
      regs: ctx.quick ? config.regs.slice(0, 2) : config.regs,
      numIters,
      batchSize: opts.batchSize,
      schedule: SCHEDULE,
    },
  );
  const secondsSearch = secondsSince(t0);
  await searchChart(path.join(ctx.outDir, 'search.png'), displayName, search.rows);
  await lossChart(path.join(ctx.outDir, 'loss.png'), displayName, search.bestRow, search.rows, config.notebookSetting);
  const best = search.best;
  const testAcc = predictionAccuracy(best.predict(xTest), yTest);
  const bestW = best.W as tf.Tensor2D;
  await imageGrid(path.join(ctx.outDir, 'weights.png'), weightImages(bestW, classNames), {
    cols: numClasses,
    scale: 3,
    normalize: 'global',
    title: `${displayName} weights (lr ${search.bestRow.learningRate}, reg ${search.bestRow.reg}), bias row left out`,
  });
  best.dispose();
  return { search, secondsSearch, testAcc };
}

export async function runLinearNotebook(config: LinearNotebookConfig): Promise<void> {
  const program = createCommand(config.name, config.description)
    .option('--iters <n>', 'SGD iterations per run', parsePositiveInt('--iters'), 5000)
    .option('--batch-size <n>', 'minibatch size', parsePositiveInt('--batch-size'), 200);
  program.parse();
  const opts = program.opts<LinearNotebookOptions>();
  const ctx = await startScript(config.name, opts);
  const numIters = ctx.quick ? 100 : opts.iters;

  const data = await loadCifarForScript(ctx);
  const sizes = fitSplitSizes(ctx, data, ctx.quick ? { numTraining: 5000, numValidation: 500, numTest: 500, numDev: 100 } : { numTraining: 49000, numValidation: 1000, numTest: 1000, numDev: 500 });
  const p = preprocessForScript(ctx, data, sizes);
  const [xTrain, xVal, xTest, xDev] = [p.xTrain, p.xVal, p.xTest, p.xDev] as tf.Tensor2D[];
  const [yTrain, yVal, yTest, yDev] = [p.yTrain, p.yVal, p.yTest, p.yDev].map(labelArray);
  const numClasses = data.classNames.length;

  const { initial, gradCheckNoReg, gradCheckReg, compared } = lossFunction(ctx, config, xDev, yDev, numClasses);
  const { search, secondsSearch, testAcc } = await tuneAndEvaluate(ctx, config, opts, numIters, { xTrain, yTrain, xVal, yVal, xTest, yTest }, data.classNames);
  disposePreprocessed(p);

  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    sizes,
    iterations: numIters,
    batch_size: opts.batchSize,
    schedule: describeSchedule(SCHEDULE),
    initial_loss: initial.loss,
    grad_check_relative_error: gradCheckNoReg,
    grad_check_relative_error_reg: gradCheckReg,
    loss_naive: compared.lossNaive,
    loss_vectorized: compared.lossVectorized,
    seconds_naive: compared.secondsNaive,
    seconds_vectorized: compared.secondsVectorized,
    // Norm-wise relative difference ||a - b|| / max(||a||, ||b||); the course's Frobenius norm of a - b is beside it.
    naive_vs_vectorized_grad_diff: compared.gradRelativeDifference,
    naive_vs_vectorized_grad_frobenius: compared.gradFrobeniusDifference,
    loss_history: search.bestRow.lossHistory,
    search: searchRowsForMetrics(search.rows),
    seconds_search: secondsSearch,
    best_learning_rate: search.bestRow.learningRate,
    best_reg: search.bestRow.reg,
    best_train_acc: search.bestRow.trainAcc,
    best_val_acc: search.bestRow.valAcc,
    test_acc: testAcc,
  });
  printSummary(config.summaryTitle, {
    'best learning rate': search.bestRow.learningRate,
    'best regularization strength': search.bestRow.reg,
    'best validation accuracy': search.bestRow.valAcc,
    'test accuracy': testAcc,
    'output folder': ctx.outDir,
  });
}
