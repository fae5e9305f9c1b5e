/**
 * The layers of the residual net: global average pooling, the softmax loss with label smoothing and the residual
 * block, each on a hand-computed case, against its autodiff twin, by the block's own algebra (the skip adds dout to
 * the branch's dx), with errors for bad input and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { globalAvgPoolBackward, globalAvgPoolForward } from '../../src/layers/global_avg_pool';
import { smoothedSoftmaxLoss } from '../../src/layers/label_smoothing';
import { softmaxLoss } from '../../src/layers/softmax_loss';
import { ConvBnParams, residualBlockBackward, residualBlockForward } from '../../src/layers/residual';
import { BnParam } from '../../src/layers/batchnorm';
import { globalAvgPoolRef, residualBlockRef } from '../../reference/layers_conv';
import { smoothedSoftmaxLossRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { relError } from '../../src/gradcheck';
import { expectAllPass, expectWithin } from '../support/expect';

beforeAll(() => useBackend());

describe('global average pool', () => {
  it('averages each feature map and spreads dout evenly back over it', () => {
    tf.tidy(() => {
      // One image, 2 x 2 positions, 2 channels: channel 0 holds 1..4, channel 1 holds 10, 20, 30, 40.
      const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
      const { out, cache } = globalAvgPoolForward(x);
      expect(out.shape).toEqual([1, 2]);
      expect(Array.from(out.dataSync())).toEqual([2.5, 25]);
      const { dx } = globalAvgPoolBackward(tf.tensor2d([[4, -8]]), cache);
      expect(dx.shape).toEqual([1, 2, 2, 2]);
      expect(Array.from(dx.dataSync())).toEqual([1, -2, 1, -2, 1, -2, 1, -2]);
    });
  });

  it('dx matches autodiff', () => {
    tf.tidy(() => {
      const rng = new Rng(3);
      const x = rng.randn([3, 4, 5, 6]);
      const dout = rng.randn([3, 6]);
      const { dx } = globalAvgPoolBackward(dout as tf.Tensor2D, globalAvgPoolForward(x as tf.Tensor4D).cache);
      expectAllPass(compareGrads('global avg pool', { x: dx }, autodiffGrads((t) => globalAvgPoolRef(t.x), { x }, dout)));
    });
  });

  it('rejects input that is not [N, H, W, C] and a dout of the wrong shape, and leaks nothing', () => {
    expect(() => globalAvgPoolForward(tf.zeros([2, 3]) as unknown as tf.Tensor4D)).toThrow('global avg pool forward: x must be rank 4 [N, H, W, C], got shape [2,3]');
    const x = tf.zeros([2, 3, 3, 4]) as tf.Tensor4D;
    tf.tidy(() => {
      const { cache } = globalAvgPoolForward(x);
      expect(() => globalAvgPoolBackward(tf.zeros([2, 5]) as tf.Tensor2D, cache)).toThrow('global avg pool backward: dout must have shape [2,4], got [2,5]');
    });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { out, cache } = globalAvgPoolForward(x);
      globalAvgPoolBackward(tf.onesLike(out), cache);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('smoothedSoftmaxLoss', () => {
  it('is the plain softmax loss at eps = 0', () => {
    tf.tidy(() => {
      const rng = new Rng(5);
      const scores = rng.randn([6, 4], 2) as tf.Tensor2D;
      const y = tf.tensor1d([0, 3, 1, 2, 2, 0], 'int32');
      const a = smoothedSoftmaxLoss(scores, y, 0);
      const b = softmaxLoss(scores, y);
      expect(a.loss.dataSync()[0]).toBeCloseTo(b.loss.dataSync()[0], 6);
      expectWithin('dscores at eps 0', relError(a.dscores, b.dscores).norm, 1e-6);
    });
  });

  it('matches a hand-computed case: equal scores give ln C whatever eps, and dscores (P - Q) / N', () => {
    tf.tidy(() => {
      const { loss, dscores } = smoothedSoftmaxLoss(tf.zeros([1, 4]) as tf.Tensor2D, tf.tensor1d([2], 'int32'), 0.2);
      expect(loss.dataSync()[0]).toBeCloseTo(Math.log(4), 6);
      // P = 1/4 everywhere; Q = 0.05 off the label, 0.8 + 0.05 on it.
      const d = Array.from(dscores.dataSync());
      [0.2, 0.2, -0.6, 0.2].forEach((v, i) => expect(d[i]).toBeCloseTo(v, 6));
    });
  });

  it('dscores matches autodiff, and every row of dscores sums to 0', () => {
    tf.tidy(() => {
      const rng = new Rng(8);
      const scores = rng.randn([7, 5], 3) as tf.Tensor2D;
      const y = tf.tensor1d([4, 0, 1, 1, 3, 2, 0], 'int32');
      const { dscores } = smoothedSoftmaxLoss(scores, y, 0.1);
      expectAllPass(compareGrads('smoothed softmax loss', { scores: dscores }, autodiffGrads((t) => smoothedSoftmaxLossRef(t.scores, y, 0.1), { scores })));
      for (const s of tf.sum(dscores, 1).dataSync()) expect(Math.abs(s)).toBeLessThan(1e-7);
    });
  });

  it('rejects eps outside [0, 1) and bad labels', () => {
    tf.tidy(() => {
      const scores = tf.zeros([2, 3]) as tf.Tensor2D;
      expect(() => smoothedSoftmaxLoss(scores, tf.tensor1d([0, 1], 'int32'), 1)).toThrow('smoothed softmax loss: eps must be in [0, 1), got 1');
      expect(() => smoothedSoftmaxLoss(scores, tf.tensor1d([0, 1], 'int32'), -0.1)).toThrow('eps must be in [0, 1), got -0.1');
      expect(() => smoothedSoftmaxLoss(scores, tf.tensor1d([0, 3], 'int32'), 0.1)).toThrow('smoothed softmax loss: y[1] = 3 is out of range; labels must be in 0..2');
    });
  });
});

describe('residual block', () => {
  const CONV = { stride: 1, pad: 1 };
  function draw(seed: number, C = 3): { x: tf.Tensor4D; first: ConvBnParams; second: ConvBnParams; dout: tf.Tensor4D } {
    const rng = new Rng(seed);
    const sandwich = (): ConvBnParams => ({
      w: rng.randn([3, 3, C, C], 0.5) as tf.Tensor4D,
      b: rng.randn([C]) as tf.Tensor1D,
      gamma: tf.add(1, rng.randn([C], 0.2)) as tf.Tensor1D,
      beta: rng.randn([C], 0.2) as tf.Tensor1D,
    });
    return { x: rng.randn([2, 4, 4, C]) as tf.Tensor4D, first: sandwich(), second: sandwich(), dout: rng.randn([2, 4, 4, C]) as tf.Tensor4D };
  }
  const bns = (): [BnParam, BnParam] => [{ mode: 'train' }, { mode: 'train' }];

  it('adds its input to the branch; without the skip it is the branch alone', () => {
    tf.tidy(() => {
      const { x, first, second } = draw(1);
      const withSkip = residualBlockForward(x, first, second, CONV, bns(), true).out;
      const branch = residualBlockForward(x, first, second, CONV, bns(), false).out;
      expectWithin('out - branch = x', relError(tf.sub(withSkip, branch), x).norm, 1e-6);
    });
  });

  it('dx is dout plus the branch dx: the gradient splits at the addition and adds back', () => {
    tf.tidy(() => {
      const { x, first, second, dout } = draw(2);
      const skip = residualBlockBackward(dout, residualBlockForward(x, first, second, CONV, bns(), true).cache);
      const plain = residualBlockBackward(dout, residualBlockForward(x, first, second, CONV, bns(), false).cache);
      expectWithin('dx - dx_branch = dout', relError(tf.sub(skip.dx, plain.dx), dout).norm, 1e-5);
      // The parameters only see the branch: the same gradients either way.
      expectWithin('dw2', relError(skip.second.dw, plain.second.dw).norm, 1e-6);
      expectWithin('dgamma1', relError(skip.first.dgamma, plain.first.dgamma).norm, 1e-6);
    });
  });

  it.each([[true], [false]])('every gradient matches autodiff (skip %s)', (skip) => {
    tf.tidy(() => {
      const { x, first, second, dout } = draw(skip ? 3 : 4);
      const g = residualBlockBackward(dout, residualBlockForward(x, first, second, CONV, bns(), skip).cache);
      const inputs = { x, w1: first.w, b1: first.b, gamma1: first.gamma, beta1: first.beta, w2: second.w, b2: second.b, gamma2: second.gamma, beta2: second.beta };
      const auto = autodiffGrads(
        (t) => residualBlockRef(t.x, { w: t.w1, b: t.b1, gamma: t.gamma1, beta: t.beta1 }, { w: t.w2, b: t.b2, gamma: t.gamma2, beta: t.beta2 }, CONV, skip),
        inputs,
        dout,
      );
      const hand = { x: g.dx, w1: g.first.dw, b1: g.first.db, gamma1: g.first.dgamma, beta1: g.first.dbeta, w2: g.second.dw, b2: g.second.db, gamma2: g.second.dgamma, beta2: g.second.dbeta };
      expectAllPass(compareGrads(`residual block (skip ${skip})`, hand, auto));
    });
  });

  it('refuses filters that change the channel count, and leaks nothing over forward + backward', () => {
    tf.tidy(() => {
      const { x, first, second } = draw(5);
      const wide = { ...second, w: tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, b: tf.zeros([4]) as tf.Tensor1D, gamma: tf.ones([4]) as tf.Tensor1D, beta: tf.zeros([4]) as tf.Tensor1D };
      expect(() => residualBlockForward(x, first, wide, CONV, bns(), true)).toThrow('residual block forward: branch output [2,4,4,4] and x [2,4,4,3] must have the same shape');
    });
    const { x, first, second, dout } = draw(6);
    const bn = bns();
    residualBlockForward(x, first, second, CONV, bn, true); // the running statistics exist from here on
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      residualBlockBackward(dout, residualBlockForward(x, first, second, CONV, bn, true).cache);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
