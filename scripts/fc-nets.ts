/**
 * Assignment 2's FullyConnectedNets notebook, in three steps:
 *
 *   1. sanity checks: overfit 50 training images with a three-layer net ([100, 100], weight scale 1e-2, sgd
 *      lr 1e-2) and a five-layer net ([100, 100, 100, 100], which needs a larger weight scale: 5e-2), 20 epochs of
 *      batch 25: both must reach 100% training accuracy;
 *   2. update rules: sgd, sgd_momentum, rmsprop and adam on the same six-layer net (hidden [100] x 5, weight scale 5e-2)
 *      and the same 4,000 images, 5 epochs of batch 100 (lr 5e-3, 5e-3, 1e-4, 1e-3, the notebook's);
 *   3. the best fully-connected model we can train on the whole training set: batchnorm, dropout, adam with
 *      learning-rate decay; the course asks for at least 50% validation accuracy.
 *
 * Output (runs/fc-nets/): metrics.json, overfit.png (both nets' loss and accuracy), update_rules.png (loss,
 * training and validation accuracy of the four rules), best_model.png (its loss and accuracies).
 *
 *   npm run fc-nets
 *   npm run fc-nets -- --best-hidden 512,256 --best-epochs 10 --best-keep 0.8
 *   npm run fc-nets -- --quick      # smoke run: fewer images and epochs in steps 2 and 3
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from 'commander';
import { CommonOptions, ScriptContext, createCommand, parseNumber, parsePositiveInt, parsePositiveNumber, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { Assignment2Data, disposeAssignment2Data, firstExamples, loadAssignment2Data } from './lib/cifar2';
import { Check, TrainedRun, modelAccuracy, historyPanels, lossPanel, runMetrics, trainRun, trainValPanel } from './lib/solver_runs';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { UpdateRuleName } from '../src/optim';
import { multiChart } from '../runtime/vis/chart';

interface Options extends CommonOptions {
  bestHidden: number[];
  bestEpochs: number;
  bestLr: number;
  bestKeep: number;
  bestBatch: number;
}

/** "512,256" -> [512, 256]. */
function parseDims(value: string): number[] {
  const dims = value.split(',').map((s) => Number(s.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new InvalidArgumentError(`--best-hidden must be comma-separated positive integers such as 512,256, got '${value}'`);
  }
  return dims;
}

function parseKeep(value: string): number {
  const p = parseNumber('--best-keep')(value);
  if (!(p > 0 && p <= 1)) throw new InvalidArgumentError(`--best-keep must be a keep probability in (0, 1], got '${value}'`);
  return p;
}

/** The notebook's update-rule comparison: each rule's learning rate. */
const RULES: { rule: UpdateRuleName; learningRate: number }[] = [
  { rule: 'sgd', learningRate: 5e-3 },
  { rule: 'sgd_momentum', learningRate: 5e-3 },
  { rule: 'rmsprop', learningRate: 1e-4 },
  { rule: 'adam', learningRate: 1e-3 },
];

type Val = { XVal: tf.Tensor; yVal: tf.Tensor1D };

/** The overfitting nets of the notebook: three and five layers, each with the weight scale that lets it overfit. */
const OVERFIT_NETS = [
  { name: '3-layer', hiddenDims: [100, 100], weightScale: 1e-2, learningRate: 1e-2 },
  { name: '5-layer', hiddenDims: [100, 100, 100, 100], weightScale: 5e-2, learningRate: 1e-2 },
];

/** "Initial loss and gradient check" is npm run gradcheck's; then overfit 50 images with a 3-layer and a 5-layer net. */
async function overfitSmallData(ctx: ScriptContext, data: Assignment2Data, val: Val): Promise<TrainedRun[]> {
  const small = firstExamples(data.XTrain, data.yTrain, 50);
  const overfits: TrainedRun[] = [];
  try {
    for (const net of OVERFIT_NETS) {
      ctx.log(`== Overfit ${small.X.shape[0]} images: ${net.name} net [${net.hiddenDims}], weight scale ${net.weightScale}, sgd lr ${net.learningRate} ==`);
      const model = new FullyConnectedNet({ hiddenDims: net.hiddenDims, weightScale: net.weightScale, seed: ctx.rng.nextUint32() });
      try {
        overfits.push(
          trainRun(ctx, net.name, model, { XTrain: small.X, yTrain: small.y, ...val }, {
            numEpochs: 20,
            batchSize: 25,
            updateRule: 'sgd',
            optimConfig: { learningRate: net.learningRate },
            printEvery: 10,
          }),
        );
      } finally {
        model.dispose();
      }
    }
  } finally {
    tf.dispose([small.X, small.y]);
  }
  await multiChart(
    path.join(ctx.outDir, 'overfit.png'),
    [lossPanel(overfits, 'Training loss history (overfit 50 images)'), ...overfits.map((r) => trainValPanel(r, `Accuracy, ${r.name} net`))],
    { columns: 3 },
  );

  return overfits;
}

/** "Update rules": SGD, SGD+momentum, RMSProp and Adam on the same net, initial weights and images. */
async function updateRules(ctx: ScriptContext, data: Assignment2Data, val: Val): Promise<TrainedRun[]> {
  const ruleCount = ctx.quick ? 1000 : 4000;
  const ruleEpochs = ctx.quick ? 2 : 5;
  const ruleData = firstExamples(data.XTrain, data.yTrain, ruleCount);
  const ruleSeed = ctx.rng.nextUint32();
  const ruleRuns: TrainedRun[] = [];
  try {
    for (const { rule, learningRate } of RULES) {
      ctx.log(`== Update rule ${rule}, learning rate ${learningRate}: [100] x 5 net, ${ruleData.X.shape[0]} images, ${ruleEpochs} epochs ==`);
      const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100, 100], weightScale: 5e-2, seed: ruleSeed });
      try {
        ruleRuns.push(
          trainRun(ctx, rule, model, { XTrain: ruleData.X, yTrain: ruleData.y, ...val }, {
            numEpochs: ruleEpochs,
            batchSize: 100,
            updateRule: rule,
            optimConfig: { learningRate },
          }),
        );
      } finally {
        model.dispose();
      }
    }
  } finally {
    tf.dispose([ruleData.X, ruleData.y]);
  }
  await multiChart(path.join(ctx.outDir, 'update_rules.png'), historyPanels(ruleRuns, 'update rules'), { columns: 3 });

  return ruleRuns;
}

/** "Train a good model!": the best fully-connected model on the whole training set, then its test accuracy. */
async function trainAGoodModel(ctx: ScriptContext, data: Assignment2Data, val: Val, opts: Options) {
  const bestCount = ctx.quick ? Math.min(4000, data.XTrain.shape[0]) : data.XTrain.shape[0];
  const bestEpochs = ctx.quick ? 1 : opts.bestEpochs;
  const bestOptions = {
    hiddenDims: opts.bestHidden,
    normalization: 'batchnorm' as const,
    dropoutKeepRatio: opts.bestKeep,
    weightScale: 2e-2,
    reg: 0,
  };
  ctx.log(
    `== Best model: [${opts.bestHidden}] with batchnorm, dropout keep ${opts.bestKeep}, adam lr ${opts.bestLr} (decay 0.9 per epoch), ` +
      `batch ${opts.bestBatch}, ${bestEpochs} epochs on ${bestCount} images ==`,
  );
  const bestData = firstExamples(data.XTrain, data.yTrain, bestCount);
  const bestModel = new FullyConnectedNet({ ...bestOptions, seed: ctx.rng.nextUint32() });
  let best: TrainedRun;
  let bestValAcc: number;
  let testAcc: number;
  try {
    best = trainRun(ctx, 'best', bestModel, { XTrain: bestData.X, yTrain: bestData.y, ...val }, {
      numEpochs: bestEpochs,
      batchSize: opts.bestBatch,
      updateRule: 'adam',
      optimConfig: { learningRate: opts.bestLr },
      lrDecay: 0.9,
      printEvery: 100,
    });
    bestValAcc = modelAccuracy(bestModel, data.XVal, data.yVal);
    testAcc = modelAccuracy(bestModel, data.XTest, data.yTest);
  } finally {
    bestModel.dispose();
    tf.dispose([bestData.X, bestData.y]);
  }
  ctx.log(`Validation set accuracy: ${bestValAcc.toFixed(4)}`);
  ctx.log(`Test set accuracy: ${testAcc.toFixed(4)}`);
  await multiChart(path.join(ctx.outDir, 'best_model.png'), [
    lossPanel([best], 'Training loss (best model)'),
    trainValPanel(best, 'Accuracy (best model)'),
  ]);

  return { best, bestValAcc, testAcc, bestOptions, bestEpochs, bestCount };
}

/** metrics.json and the printed summary of every section. */
function report(ctx: ScriptContext, opts: Options, overfits: TrainedRun[], ruleRuns: TrainedRun[], good: Awaited<ReturnType<typeof trainAGoodModel>>): void {
  const { best, bestValAcc, testAcc, bestOptions, bestEpochs, bestCount } = good;
  const overfitTrainAcc = Math.min(...overfits.map((r) => r.finalTrainAcc));
  const checks: Check[] = [
    { check: 'overfit 50 images: both nets reach 100%', value: overfitTrainAcc, expected: '1.0', pass: overfitTrainAcc === 1 },
    { check: 'best model: val accuracy', value: bestValAcc, expected: '>= 0.50', pass: bestValAcc >= 0.5 },
    { check: 'best model: test accuracy', value: testAcc, expected: '>= 0.50', pass: testAcc >= 0.5 },
  ];
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    overfit_train_acc: overfitTrainAcc,
    best_val_acc: bestValAcc,
    test_acc: testAcc,
    checks,
    overfit: Object.fromEntries(overfits.map((r, i) => [r.name, { ...OVERFIT_NETS[i], ...runMetrics(r) }])),
    update_rules: Object.fromEntries(ruleRuns.map((r, i) => [r.name, { learningRate: RULES[i].learningRate, ...runMetrics(r) }])),
    best_model: { ...bestOptions, learningRate: opts.bestLr, lrDecay: 0.9, batchSize: opts.bestBatch, epochs: bestEpochs, trainImages: bestCount, ...runMetrics(best) },
  });
  printSummary(
    'Overfitting 50 images',
    overfits.map((r, i) => ({ net: r.name, hidden: `[${OVERFIT_NETS[i].hiddenDims}]`, 'weight scale': OVERFIT_NETS[i].weightScale, 'final train acc': r.finalTrainAcc, 'final val acc': r.finalValAcc })),
  );
  printSummary(
    'Update rules',
    ruleRuns.map((r, i) => ({
      rule: r.name,
      lr: RULES[i].learningRate,
      'final loss': r.lossHistory[r.lossHistory.length - 1],
      'final train acc': r.finalTrainAcc,
      'best val acc': r.bestValAcc,
      seconds: r.seconds,
    })),
  );
  printSummary('Best fully-connected model', {
    hidden: `[${opts.bestHidden}]`,
    'val accuracy': bestValAcc,
    'test accuracy': testAcc,
    epochs: bestEpochs,
    'training minutes': best.seconds / 60,
  });
  printSummary(ctx.quick ? 'Checks (quick run: informative only)' : 'Checks', checks.map((c) => ({ ...c, pass: c.pass ? 'yes' : 'NO' })));
}

async function main(): Promise<void> {
  const program = createCommand('fc-nets', 'fully-connected nets on CIFAR-10 (FullyConnectedNets.ipynb)')
    .option('--best-hidden <dims>', 'hidden layer sizes of the best model, comma-separated', parseDims, [512, 256])
    .option('--best-epochs <n>', 'epochs of the best model', parsePositiveInt('--best-epochs'), 10)
    .option('--best-lr <x>', 'adam learning rate of the best model', parsePositiveNumber('--best-lr'), 1e-3)
    .option('--best-keep <p>', 'dropout keep probability of the best model', parseKeep, 0.8)
    .option('--best-batch <n>', 'batch size of the best model', parsePositiveInt('--best-batch'), 200);
  program.parse();
  const opts = program.opts<Options>();
  const ctx = await startScript('fc-nets', opts);
  const data = await loadAssignment2Data(ctx);
  const val = { XVal: data.XVal, yVal: data.yVal };
  try {
    const overfits = await overfitSmallData(ctx, data, val);
    const ruleRuns = await updateRules(ctx, data, val);
    const good = await trainAGoodModel(ctx, data, val, opts);
    report(ctx, opts, overfits, ruleRuns, good);
  } finally {
    disposeAssignment2Data(data);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
