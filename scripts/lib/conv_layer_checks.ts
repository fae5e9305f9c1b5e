/**
 * Two sections of the ConvolutionalNetworks notebook that come before the three-layer net:
 *
 *   "Fast layers": the naive convolution and max pool (plain loops, src/layers/conv_naive.ts, pool_naive.ts)
 *   against the fast ones (tfjs kernels, conv_fast.ts, pool_fast.ts) on the notebook's shapes, forward and
 *   backward: the time of each, the speedup, and the relative error between their results;
 *   "Convolutional sandwich layers": conv_relu_pool and conv_relu, their hand-written backward passes against
 *   centred differences of their forward passes (dx, dw, db errors), as the notebook prints them.
 *
 * Images are NHWC here (the notebook's x (100, 3, 31, 31) is [100, 31, 31, 3]); filters [HH, WW, C, F].
 */
import * as tf from '@tensorflow/tfjs-core';
import { numericGradientArray, relError, tidyValue } from '../../src/gradcheck';
import { Rng } from '../../src/random';
import { ConvParam, convBackwardNaive, convForwardNaive } from '../../src/layers/conv_naive';
import { convBackwardFast, convForwardFast } from '../../src/layers/conv_fast';
import { PoolParam, maxPoolBackwardNaive, maxPoolForwardNaive } from '../../src/layers/pool_naive';
import { maxPoolBackwardFast, maxPoolForwardFast } from '../../src/layers/pool_fast';
import { convReluBackward, convReluForward, convReluPoolBackward, convReluPoolForward } from '../../src/layers/sandwich';

/** One naive-vs-fast comparison: seconds of each, naive / fast, and the relative error of every result. */
export interface SpeedupRow {
  naiveSeconds: number;
  fastSeconds: number;
  speedup: number;
  /** Relative error between the naive and the fast result, per result ('out', or 'dx', 'dw', 'db'). */
  difference: Record<string, number>;
}

/** Seconds f takes, reading its results back so that lazy backends finish; returns them too. */
function timed<T extends Record<string, tf.Tensor>>(f: () => T): { seconds: number; result: T } {
  const start = performance.now();
  const result = f();
  for (const t of Object.values(result)) t.dataSync();
  return { seconds: (performance.now() - start) / 1000, result };
}

/** The middle one of an odd number of values. */
function middle(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
}

/**
 * Times naive() and fast(), RUNS times each in turn after an untimed warm-up (the median of each, so that one
 * disturbed run does not decide), and compares their results key by key.
 */
function compare<T extends Record<string, tf.Tensor>>(naive: () => T, fast: () => T): SpeedupRow {
  const RUNS = 3;
  return tidyValue(() => {
    const naiveSeconds: number[] = [];
    const fastSeconds: number[] = [];
    let results = { naive: naive(), fast: fast() };
    for (let i = 0; i < RUNS; i++) {
      const n = timed(naive);
      const f = timed(fast);
      naiveSeconds.push(n.seconds);
      fastSeconds.push(f.seconds);
      results = { naive: n.result, fast: f.result };
    }
    const difference: Record<string, number> = {};
    for (const key of Object.keys(results.naive)) difference[key] = relError(results.naive[key], results.fast[key]).norm;
    const row = { naiveSeconds: middle(naiveSeconds), fastSeconds: middle(fastSeconds) };
    return { ...row, speedup: row.naiveSeconds / row.fastSeconds, difference };
  });
}

function printRow(log: (line: string) => void, title: string, r: SpeedupRow): void {
  log(`Testing ${title}:`);
  log(`Naive: ${r.naiveSeconds.toFixed(6)}s`);
  log(`Fast: ${r.fastSeconds.toFixed(6)}s`);
  log(`Speedup: ${r.speedup.toFixed(1)}x`);
  for (const [key, err] of Object.entries(r.difference)) log(`${key} difference: ${err.toExponential(3)}`);
}

/**
 * The notebook's "Fast layers" timing: conv with x [100, 31, 31, 3], w [3, 3, 3, 25], stride 2, pad 1; max pool
 * with x [100, 32, 32, 3], 2x2 windows, stride 2. Prints each comparison and returns them by name.
 */
export function timeFastLayers(rng: Rng, log: (line: string) => void): Record<string, SpeedupRow> {
  return tidyValue(() => {
    const x = rng.randn([100, 31, 31, 3]) as tf.Tensor4D;
    const w = rng.randn([3, 3, 3, 25]) as tf.Tensor4D;
    const b = rng.randn([25]) as tf.Tensor1D;
    const convParam: ConvParam = { stride: 2, pad: 1 };
    const convNaive = convForwardNaive(x, w, b, convParam);
    const convFast = convForwardFast(x, w, b, convParam);
    const dConv = rng.randn(convNaive.out.shape) as tf.Tensor4D;

    const px = rng.randn([100, 32, 32, 3]) as tf.Tensor4D;
    const poolParam: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
    const poolNaive = maxPoolForwardNaive(px, poolParam);
    const poolFast = maxPoolForwardFast(px, poolParam);
    const dPool = rng.randn(poolNaive.out.shape) as tf.Tensor4D;

    const rows: Record<string, SpeedupRow> = {
      conv_forward: compare(
        () => ({ out: convForwardNaive(x, w, b, convParam).out }),
        () => ({ out: convForwardFast(x, w, b, convParam).out }),
      ),
      conv_backward: compare(
        () => convBackwardNaive(dConv, convNaive.cache),
        () => convBackwardFast(dConv, convFast.cache),
      ),
      pool_forward: compare(
        () => ({ out: maxPoolForwardNaive(px, poolParam).out }),
        () => ({ out: maxPoolForwardFast(px, poolParam).out }),
      ),
      pool_backward: compare(
        () => maxPoolBackwardNaive(dPool, poolNaive.cache),
        () => maxPoolBackwardFast(dPool, poolFast.cache),
      ),
    };
    printRow(log, 'conv_forward_fast', rows.conv_forward);
    printRow(log, 'conv_backward_fast', rows.conv_backward);
    printRow(log, 'pool_forward_fast', rows.pool_forward);
    printRow(log, 'pool_backward_fast', rows.pool_backward);
    return rows;
  });
}

/** A sandwich layer: forward to { out, cache }, backward to { dx, dw, db }. */
interface Sandwich<C> {
  forward: (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => { out: tf.Tensor4D; cache: C };
  backward: (dout: tf.Tensor4D, cache: C) => { dx: tf.Tensor; dw: tf.Tensor; db: tf.Tensor };
}

/**
 * Centred-difference step of the sandwich checks. Smaller than src/gradcheck.ts's default 1e-2: these layers have
 * hundreds of relu inputs of order 5, and a 1e-2 step moves a few of them across zero (a kink) on every draw,
 * while the rounding error a 1e-3 step adds stays near 1e-4 on outputs of that size.
 */
const SANDWICH_STEP = 1e-3;

/**
 * dx, dw, db of the hand-written backward pass against centred differences of the forward pass (the notebook's
 * eval_numerical_gradient_array), as norm-wise relative errors.
 */
function sandwichErrors<C>(layer: Sandwich<C>, x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, dout: tf.Tensor4D): Record<string, number> {
  return tidyValue(() => {
    const { cache } = layer.forward(x, w, b);
    const grads = layer.backward(dout, cache);
    const dxNum = numericGradientArray((t) => layer.forward(t as tf.Tensor4D, w, b).out, x, dout, SANDWICH_STEP);
    const dwNum = numericGradientArray((t) => layer.forward(x, t as tf.Tensor4D, b).out, w, dout, SANDWICH_STEP);
    const dbNum = numericGradientArray((t) => layer.forward(x, w, t as tf.Tensor1D).out, b, dout, SANDWICH_STEP);
    return {
      dx: relError(grads.dx, dxNum).norm,
      dw: relError(grads.dw, dwNum).norm,
      db: relError(grads.db, dbNum).norm,
    };
  });
}

/**
 * The notebook's sandwich checks: conv_relu_pool on x [2, 16, 16, 3], w [3, 3, 3, 3], pad 1, 2x2 pool; conv_relu
 * on x [2, 8, 8, 3]. Errors are float32 centred differences (SANDWICH_STEP; src/gradcheck.ts says why float32
 * needs a large step), so expect ~1e-4 rather than the notebook's float64 1e-8; a step that crosses a relu or pool
 * kink shows as a larger error.
 */
export function checkSandwichLayers(rng: Rng, log: (line: string) => void): Record<string, Record<string, number>> {
  const convParam: ConvParam = { stride: 1, pad: 1 };
  const poolParam: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
  return tidyValue(() => {
    const print = (name: string, e: Record<string, number>) => {
      log(`Testing ${name}:`);
      for (const key of ['dx', 'dw', 'db']) log(`${key} error: ${e[key].toExponential(3)}`);
    };
    const convReluPool = sandwichErrors(
      { forward: (x, w, b) => convReluPoolForward(x, w, b, convParam, poolParam), backward: convReluPoolBackward },
      rng.randn([2, 16, 16, 3]) as tf.Tensor4D,
      rng.randn([3, 3, 3, 3]) as tf.Tensor4D,
      rng.randn([3]) as tf.Tensor1D,
      rng.randn([2, 8, 8, 3]) as tf.Tensor4D,
    );
    print('conv_relu_pool', convReluPool);
    const convRelu = sandwichErrors(
      { forward: (x, w, b) => convReluForward(x, w, b, convParam), backward: convReluBackward },
      rng.randn([2, 8, 8, 3]) as tf.Tensor4D,
      rng.randn([3, 3, 3, 3]) as tf.Tensor4D,
      rng.randn([3]) as tf.Tensor1D,
      rng.randn([2, 8, 8, 3]) as tf.Tensor4D,
    );
    print('conv_relu', convRelu);
    return { conv_relu_pool: convReluPool, conv_relu: convRelu };
  });
}
