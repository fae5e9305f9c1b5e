/**
 * The network parts that the two_layer_net and features notebooks share: the numeric gradient check of a small
 * net, training a list of settings with the Solver (keeping the best net by validation accuracy), and the curves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FullyConnectedNet } from '../../src/classifiers/fc_net';
import { TwoLayerNet } from '../../src/classifiers/two_layer_net';

/** The nets the search trains. */
type Net = FullyConnectedNet | TwoLayerNet;
import { NUMERIC_BOUND, numericGradient, relError } from '../../src/gradcheck';
import { UpdateRuleName } from '../../src/optim';
import { Solver, SolverData } from '../../src/solver';
import { solverProgress } from '../../runtime/progress';
import { linePanel, multiChart } from '../../runtime/vis/chart';
import type { ScriptContext } from './cli';
import { secondsSince } from './cifar';
import { printSummary } from './run_dir';

/**
 * The numeric gradient check of the notebook, on a net small enough to perturb every parameter entry: 3 random
 * examples of `inputDim` features, labels in 0..numClasses-1, once without and once with regularisation (0.7).
 * float32 needs the larger step and bound of src/gradcheck.ts (h = 1e-2, norm-wise error below 1e-2).
 * Returns the largest error seen.
 */
export function printNetGradCheck(ctx: ScriptContext, make: (reg: number) => Net, inputDim: number, numClasses: number): number {
  const n = 3;
  const X = ctx.rng.randn([n, inputDim]);
  const y = tf.tensor1d(Array.from({ length: n }, () => ctx.rng.int(numClasses)), 'int32');
  const rows: Record<string, string | number>[] = [];
  let worst = 0;
  for (const reg of [0, 0.7]) {
    const net = make(reg);
    const { loss, grads } = net.loss(X, y);
    for (const [name, param] of Object.entries(net.params)) {
      const original = tf.clone(param);
      const numeric = numericGradient((v) => {
        param.assign(v);
        const out = net.loss(X, y);
        tf.dispose(Object.values(out.grads));
        return out.loss;
      }, original);
      param.assign(original);
      original.dispose();
      const err = relError(numeric, grads[name]).norm;
      worst = Math.max(worst, err);
      rows.push({ reg, parameter: name, 'relative error': err, bound: NUMERIC_BOUND, ok: err < NUMERIC_BOUND ? 'yes' : 'NO' });
    }
    tf.dispose([loss, ...Object.values(grads)]);
    net.dispose();
  }
  tf.dispose([X, y]);
  printSummary(`numeric gradient check, N = ${n}, D = ${inputDim}, C = ${numClasses} (norm-wise relative error, float32)`, rows);
  return worst;
}

/** One training setting of the search. */
export interface NetSetting {
  hiddenDim: number;
  updateRule: UpdateRuleName;
  learningRate: number;
  /** The learning rate is multiplied by this after every epoch. */
  lrDecay: number;
  /** L2 strength: the loss adds 0.5 * reg * sum(W^2) over the weight matrices (FullyConnectedNet). */
  reg: number;
  numEpochs: number;
  /** Default 200. */
  batchSize?: number;
}

export interface NetRunSummary extends NetSetting {
  bestValAcc: number;
  finalTrainAcc: number;
  finalLoss: number;
  seconds: number;
}

export interface NetRun {
  setting: NetSetting;
  summary: NetRunSummary;
  lossHistory: number[];
  /** One entry per accuracy check: after the first step, then after every epoch. */
  trainAccHistory: number[];
  valAccHistory: number[];
}

/**
 * Trains one net per setting with the Solver (minibatches and accuracy subsamples seeded from ctx.rng; the loss
 * printed every 100 iterations, as the notebook), prints the table, and returns every run with the best net by
 * validation accuracy, holding its best parameters (the Solver restores them). The other nets are disposed.
 */
export function trainNetSettings(
  ctx: ScriptContext,
  title: string,
  settings: NetSetting[],
  make: (setting: NetSetting) => Net,
  data: SolverData,
): { runs: NetRun[]; best: NetRun & { model: Net } } {
  const runs: NetRun[] = [];
  let best: (NetRun & { model: Net }) | null = null;
  for (const setting of settings) {
    ctx.log(`${title}: ${describeSetting(setting)}`);
    const model = make(setting);
    const t0 = Date.now();
    const bar = solverProgress(ctx.progress, ctx.log);
    const solver = new Solver(model, data, {
      updateRule: setting.updateRule,
      optimConfig: { learningRate: setting.learningRate },
      lrDecay: setting.lrDecay,
      numEpochs: setting.numEpochs,
      batchSize: setting.batchSize ?? 200,
      printEvery: 100,
      seed: ctx.rng.nextUint32(),
      log: bar.log,
      onIteration: bar.onIteration,
    });
    try {
      solver.train();
    } finally {
      bar.stop();
      solver.dispose();
    }
    const run: NetRun = {
      setting,
      summary: {
        ...setting,
        bestValAcc: solver.bestValAcc,
        finalTrainAcc: solver.trainAccHistory[solver.trainAccHistory.length - 1],
        finalLoss: solver.lossHistory[solver.lossHistory.length - 1],
        seconds: secondsSince(t0),
      },
      lossHistory: solver.lossHistory,
      trainAccHistory: solver.trainAccHistory,
      valAccHistory: solver.valAccHistory,
    };
    runs.push(run);
    if (best === null || run.summary.bestValAcc > best.summary.bestValAcc) {
      best?.model.dispose();
      best = { ...run, model };
    } else {
      model.dispose();
    }
  }
  if (best === null) throw new Error(`${title}: no settings to train`);
  const chosen = best;
  printSummary(
    title,
    runs.map((r) => ({
      hidden: r.setting.hiddenDim,
      rule: r.setting.updateRule,
      'learning rate': r.setting.learningRate,
      'lr decay': r.setting.lrDecay,
      reg: r.setting.reg,
      epochs: r.setting.numEpochs,
      'final train acc': r.summary.finalTrainAcc,
      'best val acc': r.summary.bestValAcc,
      seconds: r.summary.seconds,
      best: r.setting === chosen.setting ? '*' : '',
    })),
  );
  return { runs, best: chosen };
}

export function describeSetting(s: NetSetting): string {
  return `hidden ${s.hiddenDim}, ${s.updateRule} lr ${s.learningRate}, decay ${s.lrDecay}, reg ${s.reg}, ${s.numEpochs} epochs`;
}

/** The notebook's training plot for every run: minibatch loss per iteration, and train/val accuracy per epoch. */
export async function netCurves(filePath: string, runs: NetRun[]): Promise<string> {
  const loss = linePanel({
    title: 'Loss history',
    xLabel: 'iteration',
    yLabel: 'minibatch loss',
    series: runs.map((r, i) => ({
      name: `#${i + 1}: hidden ${r.setting.hiddenDim}, ${r.setting.updateRule} ${r.setting.learningRate}`,
      x: r.lossHistory.map((_, t) => t),
      y: r.lossHistory,
    })),
  });
  // The Solver checks accuracy after the first step (epoch 0) and after every epoch.
  const epochs = (h: number[]) => h.map((_, e) => e);
  const acc = linePanel({
    title: 'Classification accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    series: runs.flatMap((r, i) => [
      { name: `#${i + 1} train`, x: epochs(r.trainAccHistory), y: r.trainAccHistory, mark: 'line+points' as const },
      { name: `#${i + 1} val`, x: epochs(r.valAccHistory), y: r.valAccHistory, mark: 'line+points' as const },
    ]),
  });
  return multiChart(filePath, [loss, acc]);
}
