/**
 * Test-time augmentation (src/classifiers/tta.ts): the wrapped model's test scores are the mean of the scores of
 * each image and of its mirror, training passes straight through, and scoring leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { ResNet } from '../../src/classifiers/resnet';
import { withFlipAveraging } from '../../src/classifiers/tta';
import { relError } from '../../src/gradcheck';
import { expectWithin } from '../support/expect';

beforeAll(() => useBackend());

describe('withFlipAveraging', () => {
  it('averages the scores of each image and its mirror; with labels it is the model itself', () => {
    const net = new ResNet({ inputDim: [8, 8, 3], width: 2, seed: 1 });
    const rng = new Rng(2);
    const X = rng.randn([3, 8, 8, 3]) as tf.Tensor4D;
    const y = tf.tensor1d([1, 2, 3], 'int32');
    tf.dispose(tf.tidy(() => net.loss(X, y).loss)); // running statistics
    const tta = withFlipAveraging(net);
    expect(tta.params).toBe(net.params);
    tf.tidy(() => {
      // The mirror of image n, column by column: X[n, i, W - 1 - j, c].
      const cols = Array.from({ length: 8 }, (_, j) => 7 - j);
      const mirrored = tf.gather(X, tf.tensor1d(cols, 'int32'), 2);
      const expected = tf.div(tf.add(net.loss(X), net.loss(mirrored)), 2);
      expectWithin('flip-averaged scores', relError(tta.loss(X), expected).norm, 1e-6);
      // A mirrored batch gets the same averaged scores.
      expectWithin('mirror invariance', relError(tta.loss(mirrored), expected).norm, 1e-5);
      expect(tta.loss(X, y).loss.dataSync()[0]).toBeCloseTo(net.loss(X, y).loss.dataSync()[0], 5);
    });
    const before = tf.memory().numTensors;
    tta.loss(X).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tta.loss(tf.zeros([2, 5]))).toThrow('withFlipAveraging: X must be rank 4 images [N, H, W, C], got shape [2,5]');
    net.dispose();
    tf.dispose([X, y]);
  });
});
