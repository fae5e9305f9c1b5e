/**
 * Batchnorm running statistics as checkpoint state, one behaviour for every net that has them (bn_state.ts):
 * state() names runningMean{layer} and runningVar{layer}; loadState() carries them to a twin net, which then scores
 * as the original does; and loadState() refuses, before loading anything and leaving the tensors the caller's, a
 * name that is not a batchnorm layer's (also in nets with no batchnorm at all), a wrong shape or dtype, and a
 * mean without its variance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { Model } from '../../src/model';
import { FullyConnectedNet } from '../../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../../src/classifiers/cnn';
import { ConvNet } from '../../src/classifiers/convnet';
import { ResNet } from '../../src/classifiers/resnet';

beforeAll(() => useBackend());

type Net = Model & Required<Pick<Model, 'state' | 'loadState' | 'dispose'>>;

/** name, a factory (each call the same net), the input shape of one example, the running statistics' sizes by layer. */
const NETS: [string, () => Net, number[], Record<number, number>][] = [
  ['FullyConnectedNet', () => new FullyConnectedNet({ hiddenDims: [3, 4], inputDim: 5, numClasses: 3, normalization: 'batchnorm', seed: 1 }), [5], { 1: 3, 2: 4 }],
  ['ThreeLayerConvNet', () => new ThreeLayerConvNet({ inputDim: [4, 4, 3], numFilters: 2, filterSize: 3, hiddenDim: 5, numClasses: 3, batchnorm: true, seed: 1 }), [4, 4, 3], { 1: 2 }],
  ['ConvNet', () => new ConvNet({ inputDim: [4, 4, 3], blocks: [{ filters: 2, pool: true }], hiddenDims: [3], numClasses: 3, seed: 1 }), [4, 4, 3], { 1: 2, 2: 3 }],
  ['ResNet', () => new ResNet({ inputDim: [8, 8, 3], width: 1, numClasses: 3, seed: 1 }), [8, 8, 3], { 1: 1, 2: 2, 3: 2, 4: 2, 5: 4, 6: 8, 7: 8, 8: 8 }],
];

/** Nets without batchnorm layers: their loadState refuses any running statistic. */
const PLAIN: [string, () => Net][] = [
  ['FullyConnectedNet (layernorm)', () => new FullyConnectedNet({ hiddenDims: [3], inputDim: 5, numClasses: 3, normalization: 'layernorm' })],
  ['FullyConnectedNet (none)', () => new FullyConnectedNet({ hiddenDims: [3], inputDim: 5, numClasses: 3 })],
  ['ThreeLayerConvNet (no batchnorm)', () => new ThreeLayerConvNet({ inputDim: [4, 4, 3], numFilters: 2, filterSize: 3, hiddenDim: 5, numClasses: 3 })],
  ['ConvNet (no batchnorm)', () => new ConvNet({ inputDim: [4, 4, 3], blocks: [{ filters: 2 }], numClasses: 3, batchnorm: false })],
];

function batch(shape: number[]): { X: tf.Tensor; y: tf.Tensor1D } {
  const rng = new Rng(3);
  return { X: rng.randn([4, ...shape]), y: tf.tensor1d([0, 1, 2, 1], 'int32') };
}

describe.each(NETS)('%s state', (name, make, shape, sizes) => {
  it('names one mean and one variance per batchnorm layer, and carries them to a twin that then scores the same', () => {
    const a = make();
    const b = make();
    const { X, y } = batch(shape);
    expect(Object.keys(a.state())).toEqual([]);
    tf.dispose(tf.tidy(() => a.loss(X, y).loss));
    const state = a.state();
    const layers = Object.keys(sizes).map(Number);
    expect(Object.keys(state).sort()).toEqual(layers.flatMap((l) => [`runningMean${l}`, `runningVar${l}`]).sort());
    for (const l of layers) expect(state[`runningVar${l}`].shape).toEqual([sizes[l]]);
    b.loadState(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, tf.clone(t)])));
    const sa = a.loss(X);
    const sb = b.loss(X);
    expect(Array.from(sb.dataSync())).toEqual(Array.from(sa.dataSync()));
    tf.dispose([sa, sb, X, y]);
    a.dispose();
    b.dispose();
  });

  it('refuses what is not its own, one line naming the entry, before loading anything', () => {
    const net = make();
    const fn = `${name}.loadState`;
    const size = sizes[1];
    const last = Math.max(...Object.keys(sizes).map(Number));
    const good = tf.zeros([size]);
    const alsoGood = tf.ones([size]);
    const refused: [Record<string, tf.Tensor>, string][] = [
      [{ runningMean1: good, runningVar1: alsoGood, [`runningMean${last + 1}`]: good }, `${fn}: 'runningMean${last + 1}' is not the running statistic of a batchnorm layer of this net (its batchnorm layers: ${Object.keys(sizes).join(', ')};`],
      [{ runningStd1: good }, `${fn}: 'runningStd1' is not the running statistic of a batchnorm layer`],
      [{ runningMean01: good }, `${fn}: 'runningMean01' is not the running statistic`],
      [{ W1: good }, `${fn}: 'W1' is not the running statistic`],
      [{ runningMean1: tf.zeros([size + 1]), runningVar1: alsoGood }, `${fn}: 'runningMean1' must be float32 [${size}], got float32 shape [${size + 1}]`],
      [{ runningMean1: good, runningVar1: tf.zeros([size], 'int32') }, `${fn}: 'runningVar1' must be float32 [${size}], got int32 shape [${size}]`],
      [{ runningMean1: good }, `${fn}: 'runningMean1' comes without 'runningVar1': a layer's running mean and variance load together`],
    ];
    for (const [state, message] of refused) {
      expect(() => net.loadState(state)).toThrow(message);
      // Nothing was loaded, and nothing the caller passed was disposed.
      expect(Object.keys(net.state())).toEqual([]);
      for (const t of Object.values(state)) expect(t.isDisposed).toBe(false);
    }
    tf.dispose(refused.flatMap(([state]) => Object.values(state)));
    net.dispose();
  });
});

describe.each(PLAIN)('%s state', (name, make) => {
  it('has none, and refuses a running statistic, saying the net has no batchnorm layer', () => {
    const net = make();
    const t = tf.zeros([3]);
    expect(net.state()).toEqual({});
    const fn = `${name.split(' ')[0]}.loadState`;
    expect(() => net.loadState({ runningMean1: t, runningVar1: t })).toThrow(
      `${fn}: 'runningMean1' is not the running statistic of a batchnorm layer of this net (its batchnorm layers: none;`,
    );
    expect(t.isDisposed).toBe(false);
    t.dispose();
    net.dispose();
  });
});
