/**
 * The fast convolution and max-pool layers on the wasm backend, the one they are written for. Autodiff through
 * conv2d cannot run there (no Conv2DBackpropFilter kernel), so the yardstick is the naive layers, which are plain
 * loops and therefore independent of any backend's kernels. Also pins down the wasm kernel fault that the fast
 * pool backward works around, and checks for leaks on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { convBackwardNaive, convForwardNaive } from '../../src/layers/conv_naive';
import { convBackwardFast, convForwardFast } from '../../src/layers/conv_fast';
import { maxPoolBackwardNaive, maxPoolForwardNaive } from '../../src/layers/pool_naive';
import { maxPoolBackwardFast, maxPoolForwardFast } from '../../src/layers/pool_fast';
import { convReluPoolBackward, convReluPoolForward } from '../../src/layers/sandwich';
import { reluBackward, reluForward } from '../../src/layers/relu';
import { AUTODIFF_BOUND, relError } from '../../src/gradcheck';
import { expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend('wasm');
});

it('runs on wasm', () => {
  expect(tf.getBackend()).toBe('wasm');
});

describe('fast conv on wasm vs naive conv', () => {
  // [N, H, W, C, F, HH, WW, stride, pad]
  const shapes: number[][] = [
    [2, 8, 8, 3, 4, 7, 7, 1, 3], // the notebook's 7x7 filter, 'same' padding
    [2, 6, 6, 4, 5, 3, 3, 1, 1],
    [2, 6, 6, 2, 3, 4, 4, 2, 1], // stride 2
    [1, 5, 7, 2, 3, 3, 3, 2, 0], // odd sizes, stride 2, no padding
    [2, 4, 5, 2, 2, 3, 1, 1, 1], // 3x1 filter: pad exceeds the width the filter reaches into
    [1, 5, 5, 1, 2, 1, 1, 2, 2], // 1x1 filter, pad 2, stride 2
  ];
  it.each(shapes)('agree forward and backward on x [%i, %i, %i, %i], F %i, filter %ix%i, stride %i, pad %i', (...s) => {
    tf.tidy(() => {
      const [N, H, W, C, F, HH, WW, stride, pad] = s;
      const rng = new Rng(s.reduce((a, v) => a * 7 + v, 1));
      const convParam = { stride, pad };
      const x = rng.randn([N, H, W, C]) as tf.Tensor4D;
      const w = rng.randn([HH, WW, C, F]) as tf.Tensor4D;
      const b = rng.randn([F]) as tf.Tensor1D;
      const dout = rng.randn([N, 1 + (H + 2 * pad - HH) / stride, 1 + (W + 2 * pad - WW) / stride, F]) as tf.Tensor4D;
      const naive = convForwardNaive(x, w, b, convParam);
      const fast = convForwardFast(x, w, b, convParam);
      expectWithin('out', relError(fast.out, naive.out).norm, AUTODIFF_BOUND);
      const gn = convBackwardNaive(dout, naive.cache);
      const gf = convBackwardFast(dout, fast.cache);
      expectWithin('dx', relError(gf.dx, gn.dx).norm, AUTODIFF_BOUND);
      expectWithin('dw', relError(gf.dw, gn.dw).norm, AUTODIFF_BOUND);
      expectWithin('db', relError(gf.db, gn.db).norm, AUTODIFF_BOUND);
    });
  });

  it('leaves no tensors behind on wasm', () => {
    const rng = new Rng(1);
    const inputs = [rng.randn([2, 6, 6, 2]), rng.randn([4, 4, 2, 3]), rng.randn([3]), rng.randn([2, 3, 3, 3])] as tf.Tensor4D[];
    const [x, w, b, dout] = inputs;
    const before = tf.memory().numTensors;
    const { out, cache } = convForwardFast(x, w, b as unknown as tf.Tensor1D, { stride: 2, pad: 1 });
    const { dx, dw, db } = convBackwardFast(dout, cache);
    expect(tf.memory().numTensors - before).toBe(4);
    tf.dispose([out, dx, dw, db]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
  });
});

describe('fast max pool on wasm vs naive max pool', () => {
  // [N, H, W, C, poolHeight, poolWidth, stride]: tiling, overlapping and gapped windows.
  const shapes: number[][] = [
    [2, 8, 8, 3, 2, 2, 2],
    [1, 6, 6, 2, 3, 3, 3],
    [2, 7, 5, 3, 3, 3, 2],
    [2, 4, 5, 2, 2, 3, 1],
    [1, 8, 8, 1, 2, 2, 3],
  ];
  it.each(shapes)('agree on x [%i, %i, %i, %i], window %ix%i, stride %i, with many negative maxima', (...s) => {
    tf.tidy(() => {
      const [N, H, W, C, poolHeight, poolWidth, stride] = s;
      const rng = new Rng(s.reduce((a, v) => a * 7 + v, 1));
      // Normals shifted down make many windows all-negative, where wasm's own MaxPoolGrad goes wrong.
      const x = tf.sub(rng.randn([N, H, W, C]), 1.5) as tf.Tensor4D;
      const poolParam = { poolHeight, poolWidth, stride };
      const naive = maxPoolForwardNaive(x, poolParam);
      const fast = maxPoolForwardFast(x, poolParam);
      expect(relError(fast.out, naive.out).norm).toBe(0);
      const dout = rng.randn(naive.out.shape) as tf.Tensor4D;
      const dxNaive = maxPoolBackwardNaive(dout, naive.cache).dx;
      const dxFast = maxPoolBackwardFast(dout, fast.cache).dx;
      expect(relError(dxFast, dxNaive).norm).toBeLessThan(1e-7);
    });
  });

  it('splits exact ties evenly, on tiles and on overlapping windows alike', () => {
    tf.tidy(() => {
      //  0  -0 | -3   1      window maxima: 0 (tied with -0), and 1 (tied)
      // -2  -1 |  1  -1
      const x = tf.tensor4d([0, -0, -3, 1, -2, -1, 1, -1], [1, 2, 4, 1]);
      const tiles = maxPoolForwardFast(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
      expect(Array.from(maxPoolBackwardFast(tf.tensor4d([2, 4], [1, 1, 2, 1]), tiles.cache).dx.dataSync())).toEqual([1, 1, 0, 2, 0, 0, 2, 0]);
      // Overlapping 2x2 stride-1 windows over columns 0-1, 1-2, 2-3: maxima 0 = -0 at (0,0) and (0,1), 1 at (1,2),
      // and 1 tied between (0,3) and (1,2).
      const overlapping = maxPoolForwardFast(x, { poolHeight: 2, poolWidth: 2, stride: 1 });
      const dx = maxPoolBackwardFast(tf.tensor4d([2, 4, 8], [1, 1, 3, 1]), overlapping.cache).dx;
      expect(Array.from(dx.dataSync())).toEqual([1, 1, 0, 4, 0, 0, 8, 0]);
    });
  });

  it('is why pool_fast avoids MaxPoolGrad: on wasm it misroutes a window whose maximum is not positive', () => {
    tf.tidy(() => {
      // One window, maximum -1 at position 2. The correct gradient is [0, 0, 1, 0]; tfjs 4.22's wasm kernel starts
      // its running maximum at FLT_MIN (> 0) and never moves it. If this starts failing, tfjs has fixed the kernel.
      const x = tf.tensor4d([-4, -3, -1, -2], [1, 2, 2, 1]);
      const out = tf.maxPool(x, 2, 2, 'valid');
      const viaKernel = tf.engine().runKernel('MaxPoolGrad', { dy: tf.ones([1, 1, 1, 1]), input: x, output: out }, {
        filterSize: [2, 2],
        strides: [2, 2],
        pad: 'valid',
      }) as tf.Tensor;
      expect(Array.from(viaKernel.dataSync())).not.toEqual([0, 0, 1, 0]);
      const { cache } = maxPoolForwardFast(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
      expect(Array.from(maxPoolBackwardFast(tf.ones([1, 1, 1, 1]) as tf.Tensor4D, cache).dx.dataSync())).toEqual([0, 0, 1, 0]);
    });
  });

  it('leaves no tensors behind on wasm', () => {
    const rng = new Rng(2);
    const x = rng.randn([2, 5, 5, 2]) as tf.Tensor4D;
    const dout = rng.randn([2, 2, 2, 2]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (const poolParam of [
      { poolHeight: 3, poolWidth: 3, stride: 2 },
      { poolHeight: 2, poolWidth: 2, stride: 2 },
    ]) {
      const xs = poolParam.stride === poolParam.poolHeight ? tf.slice(x, [0, 0, 0, 0], [2, 4, 4, 2]) : x;
      const { out, cache } = maxPoolForwardFast(xs as tf.Tensor4D, poolParam);
      const { dx } = maxPoolBackwardFast(dout, cache);
      tf.dispose([out, dx]);
      if (xs !== x) xs.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dout]);
  });
});

describe('conv-relu-pool sandwich on wasm', () => {
  it('matches the same chain built from the naive layers', () => {
    tf.tidy(() => {
      const rng = new Rng(3);
      const x = rng.randn([2, 8, 8, 3]) as tf.Tensor4D;
      const w = rng.randn([3, 3, 3, 4]) as tf.Tensor4D;
      const b = rng.randn([4]) as tf.Tensor1D;
      const dout = rng.randn([2, 4, 4, 4]) as tf.Tensor4D;
      const convParam = { stride: 1, pad: 1 };
      const poolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
      const fast = convReluPoolForward(x, w, b, convParam, poolParam);
      const gf = convReluPoolBackward(dout, fast.cache);
      const conv = convForwardNaive(x, w, b, convParam);
      const relu = reluForward(conv.out);
      const pool = maxPoolForwardNaive(relu.out as tf.Tensor4D, poolParam);
      expectWithin('out', relError(fast.out, pool.out).norm, AUTODIFF_BOUND);
      const dRelu = reluBackward(maxPoolBackwardNaive(dout, pool.cache).dx, relu.cache).dx as tf.Tensor4D;
      const gn = convBackwardNaive(dRelu, conv.cache);
      expectWithin('dx', relError(gf.dx, gn.dx).norm, AUTODIFF_BOUND);
      expectWithin('dw', relError(gf.dw, gn.dw).norm, AUTODIFF_BOUND);
      expectWithin('db', relError(gf.db, gn.db).norm, AUTODIFF_BOUND);
    });
  });
});
