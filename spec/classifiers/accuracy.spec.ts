/** accuracy and modelPredictions: the counting, its errors, and predictions that do not depend on the batch size. */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { predictionAccuracy, modelPredictions } from '../../src/classifiers/accuracy';
import { TwoLayerNet } from '../../src/classifiers/two_layer_net';
import { Rng } from '../../src/random';

beforeAll(() => useBackend());

describe('accuracy', () => {
  it('is the fraction of predictions equal to the labels', () => {
    expect(predictionAccuracy([0, 1, 2, 2], Int32Array.from([0, 1, 1, 2]))).toBe(0.75);
    expect(predictionAccuracy([3], [4])).toBe(0);
  });

  it('rejects mismatched lengths and empty input', () => {
    expect(() => predictionAccuracy([0, 1], [0])).toThrow(/predictionAccuracy: pred has 2 values but labels has 1/);
    expect(() => predictionAccuracy([], [])).toThrow(/predictionAccuracy: no predictions/);
  });
});

describe('modelPredictions', () => {
  it("is the argmax of the model's test-mode scores, whatever the batch size, and leaks no tensors", () => {
    const net = new TwoLayerNet({ inputDim: 4, hiddenDim: 5, numClasses: 3, weightScale: 1, seed: 2 });
    const X = new Rng(3).randn([7, 4]);
    const before = tf.memory().numTensors;
    const expectedTensor = tf.tidy(() => tf.argMax(net.loss(X), 1));
    const expected = expectedTensor.dataSync();
    expectedTensor.dispose();
    for (const batchSize of [1, 3, 7, 100]) expect(Array.from(modelPredictions(net, X, batchSize))).toEqual(Array.from(expected));
    expect(tf.memory().numTensors).toBe(before);
    X.dispose();
    net.dispose();
  });
});
