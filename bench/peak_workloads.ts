/**
 * `--peak`: what the backend reaches on one large plain kernel, the ceiling against which docs/performance.md
 * reads the FLOP rates of the training workloads. Not workloads of bench/README.md; printed only when asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Ceiling, Prepared, SetupContext, Workload, scaled } from './harness';
import { Rng } from '../src/random';

/**
 * The plain 2048 x 2048 @ 2048 x 2048 matMul as the ceiling a training step is timed against in the same process
 * (step_workloads.ts): the backend's best rate on one large kernel. scale shrinks n for specs.
 */
export function matmulCeiling(rng: Rng, scale: number): Ceiling {
  const n = scaled(2048, scale);
  const a = rng.randn([n, n]) as tf.Tensor2D;
  const b = rng.randn([n, n]) as tf.Tensor2D;
  return { name: `matMul ${n}^3`, run: () => tf.matMul(a, b), flop: 2 * n * n * n, dispose: () => tf.dispose([a, b]) };
}

/** matmul.peak: a plain matMul [n, n] @ [n, n] (no transposed operand), n = 2048: 2 n^3 FLOPs. */
export const matmulPeak: Workload = {
  name: 'matmul.peak',
  runs: 5,
  what: 'tf.matMul 2048 x 2048 @ 2048 x 2048',
  setup({ rng }: SetupContext): Prepared {
    const n = 2048;
    const a = rng.randn([n, n]) as tf.Tensor2D;
    const b = rng.randn([n, n]) as tf.Tensor2D;
    return { run: () => tf.matMul(a, b), flop: 2 * n * n * n, dispose: () => tf.dispose([a, b]) };
  },
};

/** conv2d.peak: the convnet's convolution alone, tf.conv2d [50, 32, 32, 3] * [7, 7, 3, 32], 'same'. */
export const conv2dPeak: Workload = {
  name: 'conv2d.peak',
  runs: 10,
  what: 'tf.conv2d [50, 32, 32, 3] * [7, 7, 3, 32], stride 1, same',
  setup({ rng }: SetupContext): Prepared {
    const x = rng.randn([50, 32, 32, 3]) as tf.Tensor4D;
    const w = rng.randn([7, 7, 3, 32]) as tf.Tensor4D;
    return { run: () => tf.conv2d(x, w, 1, 'same'), flop: 2 * 50 * 32 * 32 * 32 * 7 * 7 * 3, dispose: () => tf.dispose([x, w]) };
  },
};
