/**
 * The Solver's options for the airbench recipe: sampling 'epoch' (every example once per epoch, a fresh order each
 * epoch, the same after a restore), the epoch and indices an augmentation receives, and per-parameter
 * hyperparameters (optimConfigFor).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './support/backend';
import { Solver } from '../src/solver';
import type { AugmentInfo } from '../src/solver';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { Rng } from '../src/random';

beforeAll(async () => {
  await useBackend();
});

function data(n: number) {
  const rng = new Rng(1);
  return { XTrain: rng.randn([n, 3]), yTrain: tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'int32'), XVal: rng.randn([4, 3]), yVal: tf.tensor1d([0, 1, 0, 1], 'int32') };
}

describe("Solver sampling 'epoch'", () => {
  it('shows every example once per epoch, in a new order each epoch, and tells the augmentation', () => {
    const d = data(12);
    const net = new TwoLayerNet({ inputDim: 3, hiddenDim: 4, numClasses: 2, seed: 1 });
    const seen: AugmentInfo[] = [];
    const solver = new Solver(net, d, {
      sampling: 'epoch',
      batchSize: 4,
      numEpochs: 2,
      verbose: false,
      optimConfigFor: (name): Record<string, number> => (name === 'b2' ? { learningRate: 0 } : {}),
      augment: (X, _rng, info) => {
        seen.push({ epoch: info.epoch, indices: Int32Array.from(info.indices) });
        return X;
      },
    });
    const b2 = net.params.b2.dataSync().slice();
    solver.train();
    expect(seen.map((s) => s.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
    const epoch = (e: number) => seen.filter((s) => s.epoch === e).flatMap((s) => Array.from(s.indices));
    expect([...epoch(0)].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect([...epoch(1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(epoch(1)).not.toEqual(epoch(0));
    // b2's own learning rate of 0 kept it where it started.
    expect(Array.from(net.params.b2.dataSync())).toEqual(Array.from(b2));
    solver.dispose();
    net.dispose();
    tf.dispose(Object.values(d));
  });

  it("refuses an unknown sampling and a per-parameter value that is not a number", () => {
    const d = data(4);
    const net = new TwoLayerNet({ inputDim: 3, hiddenDim: 4, numClasses: 2, seed: 1 });
    expect(() => new Solver(net, d, { sampling: 'shuffle' as never })).toThrow("Solver: options.sampling must be 'replacement' or 'epoch', got shuffle");
    expect(() => new Solver(net, d, { optimConfigFor: () => ({ lrScale: NaN }) })).toThrow("Solver: options.optimConfigFor('W1').lrScale must be a finite number, got NaN");
    net.dispose();
    tf.dispose(Object.values(d));
  });
});
