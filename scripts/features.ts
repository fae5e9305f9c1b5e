/**
 * npm run features [-- --quick] [--seed N] [--out DIR] [--iters N]
 *
 * Assignment 1's features notebook: classifiers on image features instead of pixels.
 *   1. data: 49,000 train / 1,000 val / 1,000 test images, as bytes (features are computed from raw pixels);
 *   2. features per image: a HOG (144 values: 16 cells x 9 orientation bins) and a 10-bin hue histogram,
 *      concatenated; every column centred and scaled by the training set's mean and standard deviation, and a bias
 *      column appended;
 *   3. a linear SVM on the features: a learning rate x regularisation search, the best model kept and evaluated
 *      on the test set; the misclassified test images drawn per predicted class, as the notebook does;
 *   4. a two-layer net (hidden 500) on the features, without the bias column (the net has its own biases): a few
 *      Solver settings, the best kept and evaluated on the test set.
 *
 * The notebook suggests learning rates [1e-9, 1e-8, 1e-7] and strengths [5e4, 5e5, 5e6] for the SVM. With
 * standardised features those work only where 2 lr reg is about 1, i.e. where each step replaces W by minus the
 * step's data gradient. The grid below covers ordinary SGD on standardised features instead.
 *
 * Writes to runs/features/: metrics.json, svm_search.png, svm_loss.png, misclassified.png (per predicted class,
 * test images the SVM got wrong), net_curves.png (loss and train/val accuracy per epoch).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { predictionAccuracy, fitSplitSizes, labelArray, loadCifarForScript, printShapes, secondsSince } from './lib/cifar';
import { lossChart, searchChart, searchLinear, searchRowsForMetrics } from './lib/linear_search';
import { NetSetting, describeSetting, netCurves, trainNetSettings } from './lib/net_search';
import { LinearSVM } from '../src/classifiers/linear_classifier';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { splitCifar10 } from '../src/data/preprocess';
import { CifarSplit } from '../src/data/split';
import { IMAGE_CHANNELS, IMAGE_SIZE } from '../runtime/data/cifar10_format';
import { FeatureFn, extractFeatures, featureStats, normalizeFeatures } from '../src/features/extract';
import { hogFeature } from '../src/features/hog';
import { colorHistogramHsv } from '../src/features/color_histogram';
import { GridImage, imageGrid } from '../runtime/vis/image_grid';

const SVM_LEARNING_RATES = [1e-3, 3e-3, 1e-2];
const SVM_REGULARIZATION_STRENGTHS = [1e-3, 1e-1, 1];
const NET_SETTINGS: NetSetting[] = [
  { hiddenDim: 500, updateRule: 'sgd', learningRate: 0.1, lrDecay: 0.95, reg: 1e-3, numEpochs: 15 },
  { hiddenDim: 500, updateRule: 'sgd', learningRate: 0.3, lrDecay: 0.95, reg: 1e-3, numEpochs: 15 },
  { hiddenDim: 500, updateRule: 'sgd_momentum', learningRate: 0.05, lrDecay: 0.9, reg: 1e-3, numEpochs: 15 },
];
const QUICK_NET_SETTINGS: NetSetting[] = [{ hiddenDim: 100, updateRule: 'sgd', learningRate: 0.1, lrDecay: 0.95, reg: 1e-3, numEpochs: 3 }];
const MISCLASSIFIED_PER_CLASS = 8;

interface FeaturesOptions extends CommonOptions {
  iters: number;
}

/** The notebook's feature functions: HOG, then the hue histogram with 10 bins. */
const FEATURE_FNS: FeatureFn[] = [hogFeature, (image, height, width) => colorHistogramHsv(image, height, width, { nbin: 10 })];

/**
 * For every predicted class, up to `perClass` test images that the classifier put in that class but belong to
 * another, laid out one column per class (the notebook's "misclassified examples" figure); each tile's label
 * names the true class. Empty tiles are grey.
 */
function misclassifiedTiles(split: CifarSplit, pred: Int32Array, classNames: string[], perClass: number): GridImage[] {
  const grey = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS).fill(200);
  const byClass = classNames.map((_, c) => {
    const idx: number[] = [];
    for (let i = 0; i < split.n && idx.length < perClass; i++) if (pred[i] === c && split.labels[i] !== c) idx.push(i);
    return idx;
  });
  const tiles: GridImage[] = [];
  for (let r = 0; r < perClass; r++) {
    for (let c = 0; c < classNames.length; c++) {
      const i = byClass[c][r];
      tiles.push(
        i === undefined
          ? { data: grey, h: IMAGE_SIZE, w: IMAGE_SIZE, c: IMAGE_CHANNELS }
          : { data: split.imageBytes({ start: i, end: i + 1 }), h: IMAGE_SIZE, w: IMAGE_SIZE, c: IMAGE_CHANNELS, label: classNames[split.labels[i]] },
      );
    }
  }
  return tiles;
}

type Splits = ReturnType<typeof splitCifar10>;
type Data = Awaited<ReturnType<typeof loadCifarForScript>>;

/**
 * "Extract features": HOG and the hue histogram of every image, then centred and scaled with the training
 * statistics only, and the bias column added for the SVM.
 */
function extractImageFeatures(ctx: ScriptContext, splits: Splits) {
  // Features from the raw bytes; the notebook prints its progress every 1,000 images.
  const t0 = Date.now();
  const total = splits.train.n + splits.val.n + splits.test.n;
  const bar = ctx.progressBar(total, 'features');
  let done = 0;
  const raw: Float32Array[] = [];
  try {
    for (const split of [splits.train, splits.val, splits.test]) {
      raw.push(extractFeatures(split.images, FEATURE_FNS, { onProgress: (n) => bar.update(done + n) }));
      done += split.n;
    }
  } finally {
    bar.stop();
  }
  const secondsFeatures = secondsSince(t0);
  const numFeatures = raw[0].length / splits.train.n;
  ctx.log(`extracted ${numFeatures} features from ${total} images in ${secondsFeatures.toFixed(1)} s`);

  // Centre and scale with the training statistics only, then the bias column for the SVM.
  const stats = featureStats(raw[0], numFeatures);
  const counts = [splits.train.n, splits.val.n, splits.test.n];
  const [xTrain, xVal, xTest] = raw.map((f, i) => tf.tensor2d(normalizeFeatures(f, stats, true), [counts[i], numFeatures + 1]));
  const [yTrainT, yValT, yTestT] = [splits.train, splits.val, splits.test].map((s) => s.labelsTensor());
  const [yTrain, yVal, yTest] = [yTrainT, yValT, yTestT].map(labelArray);
  printShapes('feature shapes (bias column included)', { 'training features': xTrain, 'validation features': xVal, 'test features': xTest });

  return { xTrain, xVal, xTest, yTrainT, yValT, yTestT, yTrain, yVal, yTest, numFeatures, secondsFeatures };
}

type Features = ReturnType<typeof extractImageFeatures>;

/** "Train SVM on features": the learning-rate / regularisation search, the test accuracy, the misclassified images. */
async function trainSvmOnFeatures(ctx: ScriptContext, opts: FeaturesOptions, data: Data, splits: Splits, f: Features) {
  const { xTrain, yTrain, xVal, yVal, xTest, yTest } = f;
  const t0 = Date.now();
  const search = searchLinear(
    ctx,
    'SVM on features',
    () => new LinearSVM(),
    { xTrain, yTrain, xVal, yVal },
    {
      learningRates: ctx.quick ? SVM_LEARNING_RATES.slice(0, 2) : SVM_LEARNING_RATES,
      regs: ctx.quick ? SVM_REGULARIZATION_STRENGTHS.slice(0, 2) : SVM_REGULARIZATION_STRENGTHS,
      numIters: ctx.quick ? 200 : opts.iters,
      batchSize: 200,
    },
  );
  const secondsSvm = secondsSince(t0);
  const svmPred = search.best.predict(xTest);
  const svmTestAcc = predictionAccuracy(svmPred, yTest);
  search.best.dispose();
  await searchChart(path.join(ctx.outDir, 'svm_search.png'), 'SVM on features', search.rows);
  await lossChart(path.join(ctx.outDir, 'svm_loss.png'), 'SVM on features', search.bestRow, search.rows);
  await imageGrid(path.join(ctx.outDir, 'misclassified.png'), misclassifiedTiles(splits.test, svmPred, data.classNames, MISCLASSIFIED_PER_CLASS), {
    cols: data.classNames.length,
    scale: 2,
    colLabels: data.classNames,
    title: 'SVM mistakes: column = predicted class, label = true class',
  });

  return { search, svmTestAcc, secondsSvm };
}

/** "Neural network on image features": the two-layer net on the features without the bias column. */
async function neuralNetworkOnFeatures(ctx: ScriptContext, data: Data, f: Features) {
  const { xTrain, xVal, xTest, yTrainT, yValT, yTest, numFeatures } = f;
  // The net takes the features without the bias column.
  const noBias = (x: tf.Tensor2D) => tf.slice(x, [0, 0], [-1, numFeatures]) as tf.Tensor2D;
  const [netTrain, netVal, netTest] = [xTrain, xVal, xTest].map(noBias);
  const t0 = Date.now();
  const nets = trainNetSettings(
    ctx,
    'two-layer net on features',
    ctx.quick ? QUICK_NET_SETTINGS : NET_SETTINGS,
    (s) => new TwoLayerNet({ inputDim: numFeatures, hiddenDim: s.hiddenDim, numClasses: data.classNames.length, weightScale: 1e-2, reg: s.reg, seed: ctx.seed }),
    { XTrain: netTrain, yTrain: yTrainT, XVal: netVal, yVal: yValT },
  );
  const secondsNet = secondsSince(t0);
  const netPred = tf.tidy(() => tf.argMax(nets.best.model.loss(netTest), 1));
  const netTestAcc = predictionAccuracy(netPred.dataSync(), yTest);
  netPred.dispose();
  nets.best.model.dispose();
  await netCurves(path.join(ctx.outDir, 'net_curves.png'), nets.runs);
  tf.dispose([netTrain, netVal, netTest]);
  return { nets, netTestAcc, secondsNet };
}

async function main(): Promise<void> {
  const program = createCommand('features', 'linear SVM and two-layer net on HOG + hue features (assignment 1, features notebook)').option(
    '--iters <n>',
    'SGD iterations per SVM run',
    parsePositiveInt('--iters'),
    1500,
  );
  program.parse();
  const opts = program.opts<FeaturesOptions>();
  const ctx = await startScript('features', opts);

  const data = await loadCifarForScript(ctx);
  const sizes = fitSplitSizes(ctx, data, ctx.quick ? { numTraining: 5000, numValidation: 500, numTest: 500, numDev: 0 } : { numTraining: 49000, numValidation: 1000, numTest: 1000, numDev: 0 });
  const splits = splitCifar10(data, { ...sizes, seed: ctx.seed });

  const f = extractImageFeatures(ctx, splits);
  const { search, svmTestAcc, secondsSvm } = await trainSvmOnFeatures(ctx, opts, data, splits, f);
  const { nets, netTestAcc, secondsNet } = await neuralNetworkOnFeatures(ctx, data, f);
  const { numFeatures, secondsFeatures } = f;
  tf.dispose([f.xTrain, f.xVal, f.xTest, f.yTrainT, f.yValT, f.yTestT]);

  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    sizes,
    num_features: numFeatures,
    seconds_features: secondsFeatures,
    svm_search: searchRowsForMetrics(search.rows),
    seconds_svm_search: secondsSvm,
    svm_best_learning_rate: search.bestRow.learningRate,
    svm_best_reg: search.bestRow.reg,
    svm_val_acc: search.bestRow.valAcc,
    svm_test_acc: svmTestAcc,
    net_search: nets.runs.map((r) => r.summary),
    seconds_net_search: secondsNet,
    net_best_setting: nets.best.setting,
    net_val_acc: nets.best.summary.bestValAcc,
    net_test_acc: netTestAcc,
    net_loss_history: nets.best.lossHistory,
    net_train_acc_history: nets.best.trainAccHistory,
    net_val_acc_history: nets.best.valAccHistory,
  });
  printSummary('classifiers on features', {
    'SVM: best lr, reg': `${search.bestRow.learningRate}, ${search.bestRow.reg}`,
    'SVM validation accuracy': search.bestRow.valAcc,
    'SVM test accuracy': svmTestAcc,
    'net: best setting': describeSetting(nets.best.setting),
    'net validation accuracy': nets.best.summary.bestValAcc,
    'net test accuracy': netTestAcc,
    'output folder': ctx.outDir,
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
