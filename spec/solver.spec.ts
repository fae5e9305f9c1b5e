import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UPDATE_RULE_NAMES } from '../src/optim';
import type { Rng } from '../src/random';
import { Solver, SolverData, SolverError } from '../src/solver';
import { checkpointEachEpoch, resumeSolverFrom } from '../runtime/resume';
import { useBackend } from './support/backend';
import { TinyNet, tinyData } from './support/tiny_net';
import { FullyConnectedNet } from '../src/classifiers/fc_net';

beforeAll(async () => {
  await useBackend();
});

/** 20 training and 12 validation examples of dimension 5 in 3 classes. */
function makeData(seed = 7): SolverData {
  const train = tinyData(20, 5, 3, seed);
  const val = tinyData(12, 5, 3, seed + 1);
  return { XTrain: train.X, yTrain: train.y, XVal: val.X, yVal: val.y };
}

function disposeData(d: SolverData): void {
  tf.dispose([d.XTrain, d.yTrain, d.XVal, d.yVal]);
}

function snapshot(params: Record<string, tf.Tensor>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
}

describe('Solver', () => {
  it('overfits 20 examples to 100% training accuracy', () => {
    const data = makeData();
    const model = new TinyNet();
    const solver = new Solver(model, data, {
      updateRule: 'adam',
      optimConfig: { learningRate: 1e-2 },
      batchSize: 10,
      numEpochs: 20,
      verbose: false,
    });
    solver.train();
    expect(solver.iteration).toBe(40);
    expect(solver.lossHistory).toHaveLength(40);
    expect(solver.trainAccHistory[0]).toBeLessThan(1);
    expect(solver.trainAccHistory[solver.trainAccHistory.length - 1]).toBe(1);
    const first = solver.lossHistory.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = solver.lossHistory.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first / 4);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it("prints what the course prints, starting near log(C) with tiny weights", () => {
    const data = makeData();
    const model = new TinyNet({ weightScale: 1e-4, reg: 0 });
    const lines: string[] = [];
    const solver = new Solver(model, data, { batchSize: 10, numEpochs: 2, printEvery: 2, log: (l) => lines.push(l) });
    solver.train();
    expect(lines[0]).toMatch(/^\(Iteration 1 \/ 4\) loss: \d\.\d{6}$/);
    expect(Number(lines[0].split('loss: ')[1])).toBeCloseTo(Math.log(3), 4);
    expect(lines[1]).toMatch(/^\(Epoch 0 \/ 2\) train acc: \d\.\d{6}; val_acc: \d\.\d{6}$/);
    expect(lines.filter((l) => l.startsWith('(Iteration'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('(Epoch'))).toEqual([expect.stringMatching(/^\(Epoch 0 /), expect.stringMatching(/^\(Epoch 1 /), expect.stringMatching(/^\(Epoch 2 /)]);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it('throws a SolverError naming the epoch, iteration and learning rate when the loss diverges, before updating', () => {
    const data = makeData();
    const model = new TinyNet();
    const solver = new Solver(model, data, { updateRule: 'sgd', optimConfig: { learningRate: 1e30 }, batchSize: 10, numEpochs: 1, verbose: false });
    solver.step();
    const before = snapshot(model.params);
    let error: unknown;
    try {
      for (let i = 0; i < 3; i++) solver.step();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SolverError);
    const e = error as SolverError;
    expect(e.message).toMatch(/^Solver: the loss is (NaN|Infinity) at epoch 0, iteration 2 \/ 2, learning rate 1e\+30; /);
    expect(e.epoch).toBe(0);
    expect(e.iteration).toBe(2);
    expect(e.learningRate).toBe(1e30);
    expect(snapshot(model.params)).toEqual(before);
    expect(solver.lossHistory).toHaveLength(1);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it('decays the learning rate once per epoch, in every parameter config', () => {
    const data = makeData();
    const model = new TinyNet();
    const seen: number[] = [];
    const solver = new Solver(model, data, {
      updateRule: 'sgd_momentum',
      optimConfig: { learningRate: 0.1 },
      lrDecay: 0.5,
      batchSize: 5,
      numEpochs: 3,
      verbose: false,
      onEpochEnd: (_, s) => seen.push(s.learningRate as number),
    });
    solver.train();
    // At the end of each of the 3 epochs, after that epoch's decay.
    expect(seen).toEqual([0.05, 0.025, 0.0125]);
    for (const config of Object.values(solver.optimConfigs)) expect(config.learningRate).toBe(0.0125);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it('keeps a copy of the best-validation parameters and leaves them in the model at the end', () => {
    const data = makeData();
    // Validation labels unrelated to the inputs: validation accuracy wanders, so the best epoch is not the last.
    const noisyVal = tf.tensor1d([0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 1, 2], 'int32');
    const d = { ...data, yVal: noisyVal };
    const model = new TinyNet();
    const atCheck: Record<string, Float32Array>[] = [];
    const solver = new Solver(model, d, {
      updateRule: 'adam',
      optimConfig: { learningRate: 5e-2 },
      batchSize: 10,
      numEpochs: 8,
      verbose: false,
      // The accuracy checks: after the first step, then at the end of every epoch.
      onIteration: (info, s) => {
        if (info.iteration === 1 || info.iteration % s.iterationsPerEpoch === 0) atCheck.push(snapshot(model.params));
      },
    });
    solver.train();
    const best = Math.max(...solver.valAccHistory);
    expect(solver.bestValAcc).toBe(best);
    const bestIndex = solver.valAccHistory.indexOf(best);
    expect(bestIndex).toBeLessThan(solver.valAccHistory.length - 1);
    expect(atCheck[bestIndex]).not.toEqual(atCheck[atCheck.length - 1]);
    expect(snapshot(model.params)).toEqual(atCheck[bestIndex]);
    expect(snapshot(solver.bestParams)).toEqual(atCheck[bestIndex]);
    solver.dispose();
    model.dispose();
    disposeData(data);
    noisyVal.dispose();
  });

  it("snapshots the model's batchnorm running statistics with the best parameters and restores both", () => {
    const data = makeData();
    const noisyVal = tf.tensor1d([0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 1, 2], 'int32');
    const d = { ...data, yVal: noisyVal };
    const model = new FullyConnectedNet({ hiddenDims: [8], inputDim: 5, numClasses: 3, normalization: 'batchnorm', seed: 4 });
    const atCheck: Record<string, Float32Array>[] = [];
    const solver = new Solver(model, d, {
      updateRule: 'adam',
      optimConfig: { learningRate: 5e-2 },
      batchSize: 10,
      numEpochs: 8,
      verbose: false,
      onIteration: (info, s) => {
        if (info.iteration === 1 || info.iteration % s.iterationsPerEpoch === 0) atCheck.push(snapshot(model.state()));
      },
    });
    solver.train();
    const bestIndex = solver.valAccHistory.indexOf(solver.bestValAcc);
    expect(bestIndex).toBeLessThan(solver.valAccHistory.length - 1);
    expect(Object.keys(atCheck[bestIndex]).sort()).toEqual(['runningMean1', 'runningVar1']);
    expect(atCheck[bestIndex]).not.toEqual(atCheck[atCheck.length - 1]);
    expect(snapshot(solver.bestState)).toEqual(atCheck[bestIndex]);
    expect(snapshot(model.state())).toEqual(atCheck[bestIndex]);
    const before = tf.memory().numTensors;
    solver.useBestParams();
    expect(tf.memory().numTensors).toBe(before);
    solver.dispose();
    model.dispose();
    disposeData(data);
    noisyVal.dispose();
  });

  it('hands over its state and takes it back: a Solver restored from state() trains on as the original', () => {
    const data = makeData();
    const options = { updateRule: 'adam' as const, optimConfig: { learningRate: 1e-2 }, batchSize: 5, numEpochs: 3, verbose: false, seed: 2 };
    const a = new TinyNet();
    const whole = new Solver(a, data, options);
    whole.train();
    const b = new TinyNet();
    // One epoch, stopped there as a checkpoint would (train() would also put the best parameters in the model).
    const first = new Solver(b, data, options);
    for (let i = 0; i < first.iterationsPerEpoch; i++) first.trainIteration();
    const second = new Solver(b, data, options);
    const before = tf.memory().numTensors;
    second.restore(first.state());
    first.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(second.epoch).toBe(1);
    second.train();
    expect(second.lossHistory).toEqual(whole.lossHistory);
    expect(second.valAccHistory).toEqual(whole.valAccHistory);
    expect(snapshot(b.params)).toEqual(snapshot(a.params));
    second.dispose();
    const odd = new Solver(b, data, { ...options, batchSize: 4 });
    const state = { ...whole.state(), epoch: 1, iteration: 4 };
    expect(() => odd.restore(state)).toThrow(
      'Solver.restore: the state took 4 iterations in 1 epochs, but an epoch of this data (20 examples, batch 4) is 5 iterations; resume with the same data and batch size',
    );
    odd.dispose();
    whole.dispose();
    a.dispose();
    b.dispose();
    disposeData(data);
  });

  it('gives every parameter its own config and state tensors of its shape', () => {
    const data = makeData();
    const model = new TinyNet();
    const solver = new Solver(model, data, { updateRule: 'adam', optimConfig: { learningRate: 1e-3 }, batchSize: 4, verbose: false });
    solver.step();
    solver.step();
    const configs = solver.optimConfigs;
    expect(Object.keys(configs).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    for (const [name, p] of Object.entries(model.params)) {
      const c = configs[name] as Record<string, unknown>;
      expect(c.t).toBe(2);
      expect((c.m as tf.Tensor).shape).toEqual(p.shape);
      expect((c.v as tf.Tensor).shape).toEqual(p.shape);
    }
    expect(configs.W1).not.toBe(configs.W2);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it('checks accuracy in batches, the same whatever the batch size, and subsamples when asked', () => {
    const data = makeData();
    const model = new TinyNet();
    const solver = new Solver(model, data, { verbose: false });
    const scores = model.loss(data.XTrain);
    const pred = tf.argMax(scores, 1);
    const expected = Array.from(pred.dataSync()).filter((p, i) => p === data.yTrain.dataSync()[i]).length / 20;
    tf.dispose([scores, pred]);
    expect(solver.checkAccuracy(data.XTrain, data.yTrain)).toBe(expected);
    expect(solver.checkAccuracy(data.XTrain, data.yTrain, null, 7)).toBe(expected);
    const sub = solver.checkAccuracy(data.XTrain, data.yTrain, 8, 3);
    expect(Number.isInteger(sub * 8)).toBe(true);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it.each(UPDATE_RULE_NAMES.map((r) => [r]))('leaks no tensors over steps, epochs and dispose (%s)', (rule) => {
    const data = makeData();
    const model = new TinyNet();
    const before = tf.memory().numTensors;
    const solver = new Solver(model, data, { updateRule: rule, batchSize: 5, numEpochs: 2, verbose: false });
    solver.step();
    solver.step();
    solver.train();
    solver.checkAccuracy(data.XVal, data.yVal, 5, 2);
    solver.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    disposeData(data);
  });

  it('refuses bad data and options with messages that name them', () => {
    const data = makeData();
    const model = new TinyNet();
    const yFloat = tf.tensor1d(new Float32Array(20));
    expect(() => new Solver(model, { ...data, yTrain: yFloat as tf.Tensor1D })).toThrow('Solver: data.yTrain must be int32 labels [N], got float32 [20]');
    const yShort = tf.tensor1d([0, 1], 'int32');
    expect(() => new Solver(model, { ...data, yVal: yShort })).toThrow('Solver: data.XVal [12,5] must be [N, ...] with N = 2, the length of data.yVal');
    expect(() => new Solver(model, data, { batchSize: 0 })).toThrow('Solver: options.batchSize must be a positive integer, got 0');
    expect(() => new Solver(model, data, { updateRule: 'adagrad' as 'adam' })).toThrow("unknown update rule 'adagrad'");
    const v = tf.zeros([2]);
    expect(() => new Solver(model, data, { optimConfig: { velocity: v as unknown as number } })).toThrow(
      'Solver: options.optimConfig.velocity must be a finite number',
    );
    const solver = new Solver(model, data, { verbose: false });
    solver.dispose();
    expect(() => solver.step()).toThrow('Solver.step: this Solver has been disposed');
    tf.dispose([yFloat, yShort, v]);
    model.dispose();
    disposeData(data);
  });
});

describe('Solver augment option', () => {
  /** Adds noise drawn from the rng to every minibatch, and records what it did. */
  function noisyAugment(record: { shapes: number[][]; draws: number[] }) {
    return (X: tf.Tensor, rng: Rng): tf.Tensor => {
      record.shapes.push([...X.shape]);
      const draw = rng.uniform();
      record.draws.push(draw);
      return tf.add(X, draw);
    };
  }

  it('transforms every training minibatch before the model sees it, and never the accuracy checks', () => {
    const data = makeData();
    const model = new TinyNet();
    const seen: tf.Tensor[] = [];
    const loss = model.loss.bind(model) as (X: tf.Tensor, y?: tf.Tensor1D) => unknown;
    // Records the first row of every input the model gets: training steps and accuracy checks.
    model.loss = ((X: tf.Tensor, y?: tf.Tensor1D) => {
      seen.push(tf.keep(tf.slice(X, [0, 0], [1, -1])));
      return loss(X, y);
    }) as TinyNet['loss'];
    const record = { shapes: [] as number[][], draws: [] as number[] };
    // Shifting every input by 1000 makes augmented rows recognisable: the data are of order 1.
    const solver = new Solver(model, data, {
      batchSize: 4,
      numEpochs: 2,
      verbose: false,
      augment: (X, rng) => tf.add(noisyAugment(record)(X, rng), 1000),
    });
    solver.train();
    expect(record.shapes).toEqual(Array.from({ length: 10 }, () => [4, 5]));
    const firstValues = seen.map((t) => t.dataSync()[0]);
    const augmented = firstValues.filter((v) => v > 500);
    expect(augmented).toHaveLength(10);
    // Accuracy checks after the first step and at the end of both epochs, each on train and val, unshifted.
    expect(firstValues.filter((v) => v < 500).length).toBeGreaterThanOrEqual(6);
    tf.dispose(seen);
    solver.dispose();
    model.dispose();
    disposeData(data);
  });

  it('draws from a generator derived from (seed, epoch): same seed, same draws; a resumed run draws what the whole run drew', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-augment-'));
    const data = makeData();
    const run = (options: { seed: number; resumeFrom?: string; checkpoints?: boolean }) => {
      const model = new TinyNet();
      const record = { shapes: [] as number[][], draws: [] as number[] };
      const common = { updateRule: 'adam' as const, batchSize: 5, numEpochs: 3, verbose: false, augment: noisyAugment(record) };
      const solver = options.resumeFrom
        ? resumeSolverFrom(model, data, options.resumeFrom, common)
        : new Solver(model, data, {
            ...common,
            optimConfig: { learningRate: 1e-2 },
            seed: options.seed,
            ...(options.checkpoints ? { onEpochEnd: checkpointEachEpoch(dir, 'aug') } : {}),
          });
      solver.train();
      const result = { draws: record.draws, loss: [...solver.lossHistory] };
      solver.dispose();
      model.dispose();
      return result;
    };
    try {
      const whole = run({ seed: 3, checkpoints: true });
      expect(whole.draws).toHaveLength(12);
      expect(new Set(whole.draws).size).toBe(12);
      expect(run({ seed: 3 }).draws).toEqual(whole.draws);
      expect(run({ seed: 4 }).draws).not.toEqual(whole.draws);
      const resumed = run({ seed: 3, resumeFrom: path.join(dir, 'aug_epoch_1') });
      expect(resumed.draws).toEqual(whole.draws.slice(4));
      expect(resumed.loss).toEqual(whole.loss);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      disposeData(data);
    }
  });

  it('leaks no tensors, and refuses an augment that changes the minibatch shape before any update', () => {
    const data = makeData();
    const model = new TinyNet();
    const before = tf.memory().numTensors;
    const record = { shapes: [] as number[][], draws: [] as number[] };
    const solver = new Solver(model, data, { updateRule: 'adam', batchSize: 5, numEpochs: 2, verbose: false, augment: noisyAugment(record) });
    solver.train();
    solver.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const params = snapshot(model.params);
    const bad = new Solver(model, data, { batchSize: 5, verbose: false, augment: (X) => tf.slice(X, 0, 2) });
    expect(() => bad.step()).toThrow("Solver: options.augment must return a tensor of the minibatch's shape [5,5], got shape [2,5]");
    expect(snapshot(model.params)).toEqual(params);
    bad.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    disposeData(data);
  });
});
