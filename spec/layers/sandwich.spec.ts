/**
 * Sandwich layers: every gradient of affine-relu, conv-relu, conv-batchnorm-relu and conv-relu-pool against tfjs
 * autodiff through the same chain of tf ops, on small seeded shapes; the first-layer (parameter-only) backwards
 * giving the full backwards' parameter gradients bit for bit; and no leaked tensors, which for a chain means
 * every intermediate is either in the cache or freed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { BnParam } from '../../src/layers/batchnorm';
import {
  affineReluBackward,
  affineReluForward,
  convBnReluBackward,
  convBnReluFirstLayerBackward,
  convBnReluForward,
  convReluBackward,
  convReluFirstLayerBackward,
  convReluForward,
  convReluPoolBackward,
  convReluPoolForward,
} from '../../src/layers/sandwich';
import { affineReluRef, convBnReluRef, convReluPoolRef, convReluRef } from '../../reference/layers_conv';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { expectAllPass } from '../support/expect';
import { expectSameParamGrads } from '../support/param_backward';

/** Every distinct tensor reachable from a value (through objects and arrays), for counting what a call left alive. */
function tensorsIn(value: unknown, found = new Set<tf.Tensor>()): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) found.add(value);
  else if (Array.isArray(value)) value.forEach((v) => tensorsIn(v, found));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => tensorsIn(v, found));
  return found;
}

/** Runs forward + backward outside any tidy and checks that out, the cache and the gradients are all that is left. */
function expectNoOrphans(inputs: tf.Tensor[], run: () => { out: tf.Tensor; cache: object; grads: object; extra?: tf.Tensor[] }): void {
  const before = tf.memory().numTensors;
  const { out, cache, grads, extra = [] } = run();
  const owned = tensorsIn([out, cache, grads, extra]);
  inputs.forEach((t) => owned.delete(t));
  expect(tf.memory().numTensors - before).toBe(owned.size);
  tf.dispose([...owned]);
  expect(tf.memory().numTensors).toBe(before);
}

const convParam = { stride: 1, pad: 1 };
const poolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };

/** x [N, 4, 6, C], w [3, 3, C, F], b [F], gamma and beta [F]; the shape [N, 4, 6, F] of a stride-1 pad-1 conv's output. */
function convInputs(seed: number, N: number, C: number, F: number) {
  const rng = new Rng(seed);
  return {
    rng,
    x: rng.randn([N, 4, 6, C]) as tf.Tensor4D,
    w: rng.randn([3, 3, C, F], 0.5) as tf.Tensor4D,
    b: rng.randn([F]) as tf.Tensor1D,
    gamma: rng.randn([F]) as tf.Tensor1D,
    beta: rng.randn([F]) as tf.Tensor1D,
    convOut: [N, 4, 6, F],
  };
}

beforeAll(async () => {
  await useBackend();
});

describe('affine-relu', () => {
  it.each([
    [[1, 5], 3],
    [[4, 2, 3, 2], 5],
  ])('dx, dw, db match autodiff for x %j, M = %i', (xShape, M) => {
    tf.tidy(() => {
      const rng = new Rng(M);
      const x = rng.randn(xShape as number[]);
      const D = x.size / x.shape[0];
      const w = rng.randn([D, M]) as tf.Tensor2D;
      const b = rng.randn([M]) as tf.Tensor1D;
      const dout = rng.randn([x.shape[0], M]) as tf.Tensor2D;
      const hand = affineReluBackward(dout, affineReluForward(x, w, b).cache);
      const auto = autodiffGrads((t) => affineReluRef(t.x, t.w, t.b), { x, w, b }, dout);
      expectAllPass(compareGrads('affine-relu', { x: hand.dx, w: hand.dw, b: hand.db }, auto));
    });
  });

  it('leaves nothing but out, the cache and the gradients', () => {
    const rng = new Rng(1);
    const inputs = [rng.randn([3, 4]), rng.randn([4, 2]), rng.randn([2]), rng.randn([3, 2])];
    const [x, w, b, dout] = inputs;
    expectNoOrphans(inputs, () => {
      const { out, cache } = affineReluForward(x, w as tf.Tensor2D, b as tf.Tensor1D);
      return { out, cache, grads: affineReluBackward(dout as tf.Tensor2D, cache) };
    });
    tf.dispose(inputs);
  });
});

describe('conv-relu', () => {
  it.each([
    [1, 2, 3],
    [2, 3, 2],
  ])('dx, dw, db match autodiff for N = %i, C = %i, F = %i', (N, C, F) => {
    tf.tidy(() => {
      const { rng, x, w, b, convOut } = convInputs(N * 10 + C, N, C, F);
      const dout = rng.randn(convOut) as tf.Tensor4D;
      const hand = convReluBackward(dout, convReluForward(x, w, b, convParam).cache);
      const auto = autodiffGrads((t) => convReluRef(t.x, t.w, t.b, convParam), { x, w, b }, dout);
      expectAllPass(compareGrads('conv-relu', { x: hand.dx, w: hand.dw, b: hand.db }, auto));
    });
  });

  it('leaves nothing but out, the cache and the gradients', () => {
    const { rng, x, w, b, gamma, beta, convOut } = convInputs(2, 2, 2, 3);
    const dout = rng.randn(convOut) as tf.Tensor4D;
    expectNoOrphans([x, w, b, dout], () => {
      const { out, cache } = convReluForward(x, w, b, convParam);
      return { out, cache, grads: convReluBackward(dout, cache) };
    });
    tf.dispose([x, w, b, gamma, beta, dout]);
  });

  it('convReluFirstLayerBackward gives convReluBackward\'s dw and db, bit for bit, without dx', () => {
    tf.tidy(() => {
      const { rng, x, w, b, convOut } = convInputs(4, 2, 3, 4);
      const dout = rng.randn(convOut) as tf.Tensor4D;
      const { cache } = convReluForward(x, w, b, convParam);
      expectSameParamGrads(convReluBackward(dout, cache), () => convReluFirstLayerBackward(dout, cache));
    });
  });
});

describe('conv-batchnorm-relu', () => {
  it.each([
    [1, 2, 3],
    [2, 3, 2],
  ])('dx, dw, db, dgamma, dbeta match autodiff for N = %i, C = %i, F = %i (train mode)', (N, C, F) => {
    tf.tidy(() => {
      const { rng, x, w, b, gamma, beta, convOut } = convInputs(N * 10 + C + 5, N, C, F);
      const dout = rng.randn(convOut) as tf.Tensor4D;
      const bnParam: BnParam = { mode: 'train' };
      const hand = convBnReluBackward(dout, convBnReluForward(x, w, b, gamma, beta, convParam, bnParam).cache);
      const auto = autodiffGrads((t) => convBnReluRef(t.x, t.w, t.b, t.gamma, t.beta, convParam), { x, w, b, gamma, beta }, dout);
      const handNamed = { x: hand.dx, w: hand.dw, b: hand.db, gamma: hand.dgamma, beta: hand.dbeta };
      // db is mathematically zero (batchnorm subtracts each channel's mean, bias included): both sides are float32
      // rounding noise, so it is compared in absolute terms instead.
      const { b: dbAuto, ...autoRest } = auto;
      const { b: dbHand, ...handRest } = handNamed;
      expectAllPass(compareGrads('conv-bn-relu', handRest, autoRest));
      expect(tf.max(tf.abs(dbHand)).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(dbAuto)).dataSync()[0]).toBeLessThan(1e-4);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
    });
  });

  it('leaves nothing but out, the cache, the running statistics and the gradients', () => {
    const { rng, x, w, b, gamma, beta, convOut } = convInputs(3, 2, 2, 3);
    const dout = rng.randn(convOut) as tf.Tensor4D;
    const bnParam: BnParam = { mode: 'train' };
    expectNoOrphans([x, w, b, gamma, beta, dout], () => {
      const { out, cache } = convBnReluForward(x, w, b, gamma, beta, convParam, bnParam);
      return { out, cache, grads: convBnReluBackward(dout, cache), extra: [bnParam.runningMean!, bnParam.runningVar!] };
    });
    tf.dispose([x, w, b, gamma, beta, dout]);
  });

  it('convBnReluFirstLayerBackward gives convBnReluBackward\'s dw, db, dgamma, dbeta, bit for bit, without dx', () => {
    tf.tidy(() => {
      const { rng, x, w, b, gamma, beta, convOut } = convInputs(6, 2, 3, 4);
      const dout = rng.randn(convOut) as tf.Tensor4D;
      const bnParam: BnParam = { mode: 'train' };
      const { cache } = convBnReluForward(x, w, b, gamma, beta, convParam, bnParam);
      expectSameParamGrads(convBnReluBackward(dout, cache), () => convBnReluFirstLayerBackward(dout, cache));
    });
  });
});

describe('conv-relu-pool', () => {
  it.each([
    [1, 2, 3],
    [2, 3, 2],
  ])('dx, dw, db match autodiff for N = %i, C = %i, F = %i', (N, C, F) => {
    tf.tidy(() => {
      const { rng, x, w, b } = convInputs(N * 10 + C + 7, N, C, F);
      const dout = rng.randn([N, 2, 3, F]) as tf.Tensor4D;
      const hand = convReluPoolBackward(dout, convReluPoolForward(x, w, b, convParam, poolParam).cache);
      const auto = autodiffGrads((t) => convReluPoolRef(t.x, t.w, t.b, convParam, poolParam), { x, w, b }, dout);
      expectAllPass(compareGrads('conv-relu-pool', { x: hand.dx, w: hand.dw, b: hand.db }, auto));
    });
  });

  it('leaves nothing but out, the cache and the gradients', () => {
    const { rng, x, w, b, gamma, beta } = convInputs(4, 2, 2, 3);
    const dout = rng.randn([2, 2, 3, 3]) as tf.Tensor4D;
    expectNoOrphans([x, w, b, dout], () => {
      const { out, cache } = convReluPoolForward(x, w, b, convParam, poolParam);
      return { out, cache, grads: convReluPoolBackward(dout, cache) };
    });
    tf.dispose([x, w, b, gamma, beta, dout]);
  });
});
