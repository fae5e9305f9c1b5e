/**
 * Weight initialisation, measured: a deep stack of affine - relu layers (10 layers of 500 units, the lecture's
 * experiment) built from the library's own affineForward / reluForward and their backward passes, on inputs drawn
 * from N(0, 1), once per way of drawing the weights:
 *
 *   small    w ~ N(0, 0.01^2)              every layer shrinks the activations: they vanish with depth
 *   xavier   w ~ N(0, 1 / fan_in)          keeps the variance for a linear (or tanh) layer; relu halves it
 *   he       w ~ N(0, 2 / fan_in)          the factor 2 undoes relu's halving: the variance holds with depth
 *
 * For each it records, per layer, the mean and standard deviation of the relu outputs (the forward pass) and of
 * the gradient dx flowing back into that layer from a unit-variance upstream gradient (the backward pass).
 * docs/initialization.md explains the numbers.
 *
 * Output (runs/initialization/): metrics.json (per scheme and layer: activation mean, std, fraction of zeros,
 * gradient std), activations.png (activation and gradient std per layer, log scale). Seconds, no data.
 *
 *   npm run initialization
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, createCommand, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { affineBackward, affineForward, AffineCache } from '../src/layers/affine';
import { reluBackward, reluForward, ReluCache } from '../src/layers/relu';
import { Rng } from '../src/random';
import { linePanel, multiChart } from '../runtime/vis/chart';

/** The weight standard deviation of each scheme, given the layer's fan-in. */
const SCHEMES: Record<string, (fanIn: number) => number> = {
  small: () => 0.01,
  xavier: (fanIn) => Math.sqrt(1 / fanIn),
  he: (fanIn) => Math.sqrt(2 / fanIn),
};

interface LayerStats {
  mean: number;
  std: number;
  zeros: number;
  gradStd: number;
}

const stats = (t: tf.Tensor): { mean: number; std: number } =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(t);
    return { mean: mean.dataSync()[0], std: Math.sqrt(variance.dataSync()[0]) };
  });

/** One scheme through `layers` layers of `width` units: per-layer statistics of the forward and backward pass. */
function measure(scheme: string, rng: Rng, n: number, width: number, layers: number): LayerStats[] {
  const out: LayerStats[] = [];
  // One tidy around the whole pass: every tensor of it is freed at the end, the numbers are kept in out.
  tf.tidy(() => {
    let h = rng.randn([n, width]);
    const caches: Array<{ affine: AffineCache; relu: ReluCache }> = [];
    for (let l = 0; l < layers; l++) {
      const w = rng.randn([width, width], SCHEMES[scheme](width)) as tf.Tensor2D;
      const a = affineForward(h, w, tf.zeros([width]) as tf.Tensor1D);
      const r = reluForward(a.out);
      caches.push({ affine: a.cache, relu: r.cache });
      h = r.out;
      const s = stats(h);
      const zeros = tf.tidy(() => tf.mean(tf.cast(tf.equal(h, 0), 'float32')).dataSync()[0]);
      out.push({ ...s, zeros, gradStd: NaN });
    }
    // Backward from a unit-variance upstream gradient at the top: the std of dx entering each layer from above.
    let dout = rng.randn([n, width]);
    for (let l = layers - 1; l >= 0; l--) {
      const da = reluBackward(dout, caches[l].relu).dx as tf.Tensor2D;
      dout = affineBackward(da, caches[l].affine).dx;
      out[l].gradStd = stats(dout).std;
    }
  });
  return out;
}

async function main(): Promise<void> {
  const program = createCommand('initialization', 'activation and gradient statistics of a deep relu net under three weight initialisations')
    .option('--layers <n>', 'affine - relu layers', parsePositiveInt('--layers'), 10)
    .option('--width <n>', 'units per layer', parsePositiveInt('--width'), 500);
  program.parse();
  const opts = program.opts<CommonOptions & { layers: number; width: number }>();
  const ctx = await startScript('initialization', opts);
  const n = ctx.quick ? 200 : 1000;
  const results = Object.fromEntries(Object.keys(SCHEMES).map((s) => [s, measure(s, ctx.rng, n, opts.width, opts.layers)]));
  const layerAxis = Array.from({ length: opts.layers }, (_, i) => i + 1);
  const file = path.join(ctx.outDir, 'activations.png');
  await multiChart(file, [
    linePanel({
      title: 'Activation std per layer (forward)',
      xLabel: 'layer',
      yLabel: 'std of the relu outputs',
      logY: true,
      series: Object.entries(results).map(([name, rows]) => ({ name, x: layerAxis, y: rows.map((r) => r.std), mark: 'line+points' as const })),
    }),
    linePanel({
      title: 'Gradient std per layer (backward)',
      xLabel: 'layer',
      yLabel: 'std of dx into the layer',
      logY: true,
      series: Object.entries(results).map(([name, rows]) => ({ name, x: layerAxis, y: rows.map((r) => r.gradStd), mark: 'line+points' as const })),
    }),
  ]);
  ctx.log(`wrote ${file}`);
  const last = opts.layers - 1;
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    layers: opts.layers,
    width: opts.width,
    examples: n,
    schemes: results,
    last_layer_std: Object.fromEntries(Object.entries(results).map(([k, rows]) => [k, rows[last].std])),
    first_layer_grad_std: Object.fromEntries(Object.entries(results).map(([k, rows]) => [k, rows[0].gradStd])),
  });
  printSummary(
    `${opts.layers} layers of ${opts.width}, ${n} inputs from N(0, 1): std of the relu outputs`,
    Object.entries(results).map(([scheme, rows]) => ({ scheme, layer1: rows[0].std, layer5: rows[Math.min(4, last)].std, last: rows[last].std, zeros_last: rows[last].zeros, grad_std_layer1: rows[0].gradStd })),
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
