/**
 * Assignment 2's BatchNormalization notebook, in four experiments on 1,000 training images:
 *
 *   1. a deep net ([100] x 5, weight scale 2e-2) trained with and without batchnorm (10 epochs, batch 50, adam
 *      1e-3): batchnorm trains faster, so its final training accuracy must be the higher one;
 *   2. weight initialisation: [50] x 7 nets with and without batchnorm at 20 weight scales from 1e-4 to 1
 *      (logspace), 10 epochs each; plotted: best validation and training accuracy and the final training loss
 *      against the scale. Without batchnorm only a narrow band of scales trains at all;
 *   3. batch size: the [100] x 5 net with batchnorm at batch sizes 5, 10 and 50 (adam 10^-3.5), beside the
 *      baseline at batch 5: batchnorm's statistics get noisy on small batches;
 *   4. layer normalisation: experiment 3 again with layernorm, which normalises each example over its features
 *      and therefore does not depend on the batch size.
 *
 * Output (runs/batchnorm/): metrics.json, bn_vs_baseline.png, weight_scale.png, batch_size_batchnorm.png,
 * batch_size_layernorm.png.
 *
 *   npm run batchnorm
 *   npm run batchnorm -- --quick     # smoke run: 5 weight scales, fewer epochs and images
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { disposeAssignment2Data, firstExamples, loadAssignment2Data } from './lib/cifar2';
import { Check, TrainedRun, accuracyPanel, historyPanels, runMetrics, trainRun } from './lib/solver_runs';
import { FullyConnectedNet, Normalization } from '../src/classifiers/fc_net';
import { SolverData } from '../src/solver';
import { linePanel, multiChart } from '../runtime/vis/chart';

/** numpy's logspace(lo, hi, count): count values evenly spaced in log10 from 10^lo to 10^hi. */
function logspace(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 10 ** (count === 1 ? lo : lo + ((hi - lo) * i) / (count - 1)));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: number[]): number => (xs.length > 0 ? Math.max(...xs) : NaN);

/** A net of the given normalisation trained with adam on `data`; the model is freed, the run returned. */
function trainNet(
  ctx: ScriptContext,
  name: string,
  data: SolverData,
  net: { hiddenDims: number[]; weightScale: number; normalization: Normalization },
  solver: { numEpochs: number; batchSize: number; learningRate: number; verbose: boolean; progress?: boolean },
  allowDivergence = false,
): TrainedRun {
  const model = new FullyConnectedNet({ ...net, seed: ctx.rng.nextUint32() });
  try {
    return trainRun(
      ctx,
      name,
      model,
      data,
      {
        numEpochs: solver.numEpochs,
        batchSize: solver.batchSize,
        updateRule: 'adam',
        optimConfig: { learningRate: solver.learningRate },
        verbose: solver.verbose,
        printEvery: 20,
        ...(solver.progress !== undefined ? { progress: solver.progress } : {}),
      },
      allowDivergence,
    );
  } finally {
    model.dispose();
  }
}

/** The deep net of the notebook's batchnorm and batch-size experiments: five hidden layers of 100. */
const DEEP = [100, 100, 100, 100, 100];

/** "Batchnorm for deep networks": the same net with and without batchnorm. Returns [batchnorm, baseline]. */
async function batchnormForDeepNetworks(ctx: ScriptContext, data: SolverData, epochs: number): Promise<TrainedRun[]> {
  const runs1: TrainedRun[] = [];
  for (const normalization of ['batchnorm', 'none'] as const) {
    const name = normalization === 'none' ? 'baseline' : 'batchnorm';
    ctx.log(`== ${name}: [${DEEP}] net, weight scale 2e-2, ${data.XTrain.shape[0]} images, ${epochs} epochs, batch 50, adam 1e-3 ==`);
    runs1.push(trainNet(ctx, name, data, { hiddenDims: DEEP, weightScale: 2e-2, normalization }, { numEpochs: epochs, batchSize: 50, learningRate: 1e-3, verbose: true }));
  }
  const [bn, baseline] = runs1;
  await multiChart(path.join(ctx.outDir, 'bn_vs_baseline.png'), historyPanels([baseline, bn], 'with and without batchnorm'), { columns: 3 });
  return runs1;
}

/** "Batch normalization and initialization": best accuracies and final loss over 20 (quick: 5) weight scales. */
async function batchnormAndInitialization(ctx: ScriptContext, data: SolverData, epochs: number) {
  const scales = logspace(-4, 0, ctx.quick ? 5 : 20);
  const sweep = {
    scales,
    baseline: { bestTrainAcc: [] as number[], bestValAcc: [] as number[], finalLoss: [] as number[], diverged: [] as boolean[] },
    batchnorm: { bestTrainAcc: [] as number[], bestValAcc: [] as number[], finalLoss: [] as number[], diverged: [] as boolean[] },
  };
  scales.forEach((weightScale, i) => {
    ctx.log(`Running weight scale ${i + 1} / ${scales.length}: ${weightScale.toExponential(2)}`);
    for (const normalization of ['none', 'batchnorm'] as const) {
      const run = trainNet(
        ctx,
        normalization,
        data,
        { hiddenDims: [50, 50, 50, 50, 50, 50, 50], weightScale, normalization },
        { numEpochs: epochs, batchSize: 50, learningRate: 1e-3, verbose: false, progress: false },
        true,
      );
      const s = normalization === 'none' ? sweep.baseline : sweep.batchnorm;
      s.bestTrainAcc.push(max(run.trainAccHistory));
      s.bestValAcc.push(max(run.valAccHistory));
      // The notebook's final loss: the mean of the last 100 minibatch losses (NaN if the run diverged).
      s.finalLoss.push(run.diverged ? NaN : mean(run.lossHistory.slice(-100)));
      s.diverged.push(run.diverged !== undefined);
      if (run.diverged) ctx.log(`  ${normalization}: ${run.diverged}`);
    }
  });
  const sweepPanel = (title: string, yLabel: string, key: 'bestValAcc' | 'bestTrainAcc' | 'finalLoss', yMax = Infinity) =>
    linePanel({
      title,
      xLabel: 'weight initialisation scale',
      yLabel,
      logX: true,
      width: 520,
      height: 360,
      series: (['baseline', 'batchnorm'] as const).map((name) => ({
        name,
        x: scales,
        y: sweep[name][key].map((v) => (v <= yMax ? v : NaN)),
        mark: 'line+points' as const,
      })),
    });
  await multiChart(
    path.join(ctx.outDir, 'weight_scale.png'),
    [
      sweepPanel('Best val accuracy vs weight initialisation scale', 'best val accuracy', 'bestValAcc'),
      sweepPanel('Best train accuracy vs weight initialisation scale', 'best training accuracy', 'bestTrainAcc'),
      // The notebook shows losses up to 3.5: at large scales the baseline's runs off to 1e7 and would flatten the
      // rest, so those points are left out.
      sweepPanel('Final training loss vs weight initialisation scale', 'final training loss (up to 3.5)', 'finalLoss', 3.5),
    ],
    { columns: 3 },
  );

  return { scales, sweep };
}

/** "Batch normalization and batch size", then the same for layer normalization. */
async function batchnormAndBatchSize(ctx: ScriptContext, data: SolverData, epochs: number) {
  const batchSizes = [5, 10, 50];
  const lr = 10 ** -3.5;
  const batchRuns: Record<string, TrainedRun[]> = {};
  ctx.log(`== Batch size: baseline at batch ${batchSizes[0]} ==`);
  const batchBaseline = trainNet(ctx, `baseline, bs=${batchSizes[0]}`, data, { hiddenDims: DEEP, weightScale: 2e-2, normalization: 'none' }, {
    numEpochs: epochs,
    batchSize: batchSizes[0],
    learningRate: lr,
    verbose: false,
  });
  for (const normalization of ['batchnorm', 'layernorm'] as const) {
    batchRuns[normalization] = [batchBaseline];
    for (const batchSize of batchSizes) {
      ctx.log(`== ${normalization}: batch size = ${batchSize} ==`);
      batchRuns[normalization].push(
        trainNet(ctx, `${normalization}, bs=${batchSize}`, data, { hiddenDims: DEEP, weightScale: 2e-2, normalization }, {
          numEpochs: epochs,
          batchSize,
          learningRate: lr,
          verbose: false,
        }),
      );
    }
    await multiChart(path.join(ctx.outDir, `batch_size_${normalization}.png`), [
      accuracyPanel(batchRuns[normalization], 'train', `Training accuracy (${normalization})`),
      accuracyPanel(batchRuns[normalization], 'val', `Validation accuracy (${normalization})`),
    ]);
  }

  return { lr, batchBaseline, batchRuns };
}

/** metrics.json and the printed summary of every section. */
function report(
  ctx: ScriptContext,
  data: SolverData,
  epochs: number,
  runs1: TrainedRun[],
  { scales, sweep }: Awaited<ReturnType<typeof batchnormAndInitialization>>,
  { lr, batchBaseline, batchRuns }: Awaited<ReturnType<typeof batchnormAndBatchSize>>,
): void {
  const [bn, baseline] = runs1;
  const checks: Check[] = [
    {
      check: 'final train accuracy: batchnorm > baseline',
      value: bn.finalTrainAcc - baseline.finalTrainAcc,
      expected: '> 0',
      pass: bn.finalTrainAcc > baseline.finalTrainAcc,
    },
  ];
  const batchSummary = (runs: TrainedRun[]) =>
    Object.fromEntries(runs.map((r) => [r.name, { finalTrainAcc: r.finalTrainAcc, bestValAcc: r.bestValAcc, finalValAcc: r.finalValAcc }]));
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    bn_final_train_acc: bn.finalTrainAcc,
    baseline_final_train_acc: baseline.finalTrainAcc,
    bn_best_val_acc: bn.bestValAcc,
    baseline_best_val_acc: baseline.bestValAcc,
    train_images: data.XTrain.shape[0],
    epochs,
    checks,
    weight_scale_sweep: sweep,
    batch_size: { learningRate: lr, batchnorm: batchSummary(batchRuns.batchnorm), layernorm: batchSummary(batchRuns.layernorm) },
    bn_vs_baseline: { batchnorm: runMetrics(bn), baseline: runMetrics(baseline) },
  });
  printSummary(
    'With and without batchnorm ([100] x 5, weight scale 2e-2)',
    runs1.map((r) => ({ net: r.name, 'final train acc': r.finalTrainAcc, 'best val acc': r.bestValAcc, 'final loss': r.lossHistory[r.lossHistory.length - 1] })),
  );
  printSummary(
    'Weight initialisation scale ([50] x 7)',
    scales.map((s, i) => ({
      scale: Number(s.toPrecision(3)),
      'baseline best val': sweep.baseline.bestValAcc[i],
      'bn best val': sweep.batchnorm.bestValAcc[i],
      'baseline best train': sweep.baseline.bestTrainAcc[i],
      'bn best train': sweep.batchnorm.bestTrainAcc[i],
      'baseline final loss': sweep.baseline.finalLoss[i],
      'bn final loss': sweep.batchnorm.finalLoss[i],
    })),
  );
  printSummary(
    `Batch size (adam ${lr.toPrecision(3)})`,
    [batchBaseline, ...batchRuns.batchnorm.slice(1), ...batchRuns.layernorm.slice(1)].map((r) => ({
      run: r.name,
      'final train acc': r.finalTrainAcc,
      'best val acc': r.bestValAcc,
      seconds: r.seconds,
    })),
  );
  printSummary(ctx.quick ? 'Checks (quick run: informative only)' : 'Checks', checks.map((c) => ({ ...c, pass: c.pass ? 'yes' : 'NO' })));
}

async function main(): Promise<void> {
  const program = createCommand('batchnorm', 'batch normalisation on CIFAR-10 (BatchNormalization.ipynb)');
  program.parse();
  const opts = program.opts<CommonOptions>();
  const ctx = await startScript('batchnorm', opts);
  const all = await loadAssignment2Data(ctx);
  const numTrain = ctx.quick ? 500 : 1000;
  const epochs = ctx.quick ? 3 : 10;
  const small = firstExamples(all.XTrain, all.yTrain, numTrain);
  const data: SolverData = { XTrain: small.X, yTrain: small.y, XVal: all.XVal, yVal: all.yVal };
  try {
    const runs1 = await batchnormForDeepNetworks(ctx, data, epochs);
    const initialization = await batchnormAndInitialization(ctx, data, epochs);
    const batchSize = await batchnormAndBatchSize(ctx, data, epochs);
    report(ctx, data, epochs, runs1, initialization, batchSize);
  } finally {
    tf.dispose([small.X, small.y]);
    disposeAssignment2Data(all);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
