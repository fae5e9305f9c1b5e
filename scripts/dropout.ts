/**
 * Assignment 2's Dropout notebook, the regularisation experiment: two-layer nets ([500] hidden) trained on only
 * 500 images for 25 epochs (adam 5e-4, batch 100), with dropout keep probabilities 1 (no dropout), 0.75, 0.5 and
 * 0.25 (the notebook runs 1 and 0.25). Without dropout the net memorises the 500 images; dropout lowers the
 * training accuracy and narrows the gap to the validation accuracy.
 *
 * Output (runs/dropout/): metrics.json, dropout.png (training and validation accuracy per epoch, one line per
 * keep probability).
 *
 *   npm run dropout
 *   npm run dropout -- --quick     # smoke run: 5 epochs
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { Assignment2Data, disposeAssignment2Data, firstExamples, loadAssignment2Data } from './lib/cifar2';
import { Check, TrainedRun, accuracyPanel, runMetrics, trainRun } from './lib/solver_runs';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { multiChart } from '../runtime/vis/chart';

const KEEP_RATIOS = [1, 0.75, 0.5, 0.25];

/**
 * "Regularization experiment": the same [500] net on 500 training images once per keep probability, from the same
 * initial weights so that only dropout differs; then the notebook's plot of training and validation accuracy.
 */
async function regularizationExperiment(ctx: ScriptContext, all: Assignment2Data, epochs: number): Promise<TrainedRun[]> {
  const small = firstExamples(all.XTrain, all.yTrain, 500);
  const runs: TrainedRun[] = [];
  try {
    const seed = ctx.rng.nextUint32();
    for (const keep of KEEP_RATIOS) {
      ctx.log(`== Dropout keep probability ${keep}: [500] net, ${small.X.shape[0]} images, ${epochs} epochs, batch 100, adam 5e-4 ==`);
      const model = new FullyConnectedNet({ hiddenDims: [500], dropoutKeepRatio: keep, seed });
      try {
        runs.push(
          trainRun(ctx, `keep ${keep}`, model, { XTrain: small.X, yTrain: small.y, XVal: all.XVal, yVal: all.yVal }, {
            numEpochs: epochs,
            batchSize: 100,
            updateRule: 'adam',
            optimConfig: { learningRate: 5e-4 },
            printEvery: 100,
          }),
        );
      } finally {
        model.dispose();
      }
    }
  } finally {
    tf.dispose([small.X, small.y]);
  }
  await multiChart(path.join(ctx.outDir, 'dropout.png'), [
    accuracyPanel(runs, 'train', 'Training accuracy'),
    accuracyPanel(runs, 'val', 'Validation accuracy'),
  ]);
  return runs;
}

/** metrics.json and the printed summary: accuracies and the train-validation gap per keep probability. */
function report(ctx: ScriptContext, runs: TrainedRun[], epochs: number): void {
  const byKeep = (f: (r: TrainedRun) => number) => Object.fromEntries(runs.map((r, i) => [String(KEEP_RATIOS[i]), f(r)]));
  const gap = (r: TrainedRun) => r.finalTrainAcc - r.finalValAcc;
  const [noDropout, strongest] = [runs[0], runs[runs.length - 1]];
  const checks: Check[] = [
    {
      check: `train-val gap: keep ${KEEP_RATIOS[KEEP_RATIOS.length - 1]} < keep 1`,
      value: gap(strongest) - gap(noDropout),
      expected: '< 0',
      pass: gap(strongest) < gap(noDropout),
    },
  ];
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    train_acc_by_keep: byKeep((r) => r.finalTrainAcc),
    val_acc_by_keep: byKeep((r) => r.finalValAcc),
    best_val_acc_by_keep: byKeep((r) => r.bestValAcc),
    gap_by_keep: byKeep(gap),
    epochs,
    checks,
    runs: Object.fromEntries(runs.map((r, i) => [String(KEEP_RATIOS[i]), runMetrics(r)])),
  });
  printSummary(
    `Dropout ([500] net, 500 images, ${epochs} epochs)`,
    runs.map((r, i) => ({
      keep: KEEP_RATIOS[i],
      'final train acc': r.finalTrainAcc,
      'final val acc': r.finalValAcc,
      'train - val': gap(r),
      'best val acc': r.bestValAcc,
    })),
  );
  printSummary(ctx.quick ? 'Checks (quick run: informative only)' : 'Checks', checks.map((c) => ({ ...c, pass: c.pass ? 'yes' : 'NO' })));
}

async function main(): Promise<void> {
  const program = createCommand('dropout', 'dropout as a regulariser on CIFAR-10 (Dropout.ipynb)');
  program.parse();
  const opts = program.opts<CommonOptions>();
  const ctx = await startScript('dropout', opts);
  const all = await loadAssignment2Data(ctx);
  const epochs = ctx.quick ? 5 : 25;
  let runs: TrainedRun[];
  try {
    runs = await regularizationExperiment(ctx, all, epochs);
  } finally {
    disposeAssignment2Data(all);
  }
  report(ctx, runs, epochs);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
