/**
 * The gradient catalogue behind `npm run gradcheck` (reference/catalogue/): the whole of it runs here, every
 * row must pass, every layer and model must be there with every gradient, and nothing may leak.
 * Then the harness itself: a deliberately wrong backward pass must fail both checks, and inputs that put a kink
 * inside a numeric step must be redrawn rather than fail.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { CATALOGUE, runCatalogue } from '../../reference/catalogue/run';
import { GradRow, layerCase } from '../../reference/catalogue/harness';
import { reluRef } from '../../reference/layers_dense';
import { argmaxPattern, cacheKinks, positivePattern } from '../../reference/catalogue/kinks';
import { reluForward } from '../../src/layers/relu';
import { convReluPoolForward } from '../../src/layers/sandwich';
import { Rng } from '../../src/random';

/** One line per failing row, so a failure says which gradient and by how much. */
function describeRow(r: GradRow): string {
  if (r.error) return `${r.layer}: ${r.error}`;
  return `${r.layer} ${r.param}: relErrAutodiff ${r.relErrAutodiff.toExponential(2)}, relErrNumeric ${r.relErrNumeric.toExponential(2)}`;
}

const DENSE = ['dx', 'dgamma', 'dbeta'];
const CONV = ['dx', 'dw', 'db'];
const FC = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'];
const FC_NORM = [...FC, 'gamma1', 'beta1', 'gamma2', 'beta2'];
const CNN = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'];
const CONVNET = [...CNN, 'W4', 'b4'];
const RESIDUAL = ['dx', ...[1, 2].flatMap((i) => [`dw${i}`, `db${i}`, `dgamma${i}`, `dbeta${i}`])];
const RESNET = [...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [`W${i}`, `b${i}`, `gamma${i}`, `beta${i}`]), 'W9', 'b9'];
/**
 * The rows the catalogue must hold: each layer or model with every gradient it has. A name ending in ' (' stands for
 * every variant name that starts with it ('TwoLayerNet (reg 0.1)'); any other name must match exactly.
 */
const EXPECTED: [string, string[]][] = [
  ['affine', CONV],
  ['relu', ['dx']],
  ['softmax loss', ['dscores']],
  ['svm loss', ['dscores']],
  ['softmax loss, label smoothing 0.2', ['dscores']],
  ['batchnorm (graph backward)', DENSE],
  ['batchnorm (alt backward)', DENSE],
  ['layernorm', DENSE],
  ['dropout (', ['dx']],
  ['conv naive (stride 1, pad 1)', CONV],
  ['conv fast (stride 1, pad 1)', CONV],
  ['conv fast (stride 2, pad 0)', CONV],
  ['conv fast (stride 2, pad 1)', CONV],
  ['max pool naive (', ['dx']],
  ['max pool fast (2x2', ['dx']],
  ['max pool fast (3x3', ['dx']],
  ['spatial batchnorm', DENSE],
  ['spatial batchnorm fast', DENSE],
  ['spatial batchnorm-relu fast', DENSE],
  ['spatial groupnorm (G=1)', DENSE],
  ['spatial groupnorm (G=2)', DENSE],
  ['spatial groupnorm (G=4)', DENSE],
  ['global average pool', ['dx']],
  ['affine-relu', CONV],
  ['conv-relu', CONV],
  ['conv-bn-relu', [...CONV, 'dgamma', 'dbeta']],
  ['conv-relu-pool', CONV],
  ['residual block', RESIDUAL],
  ['residual block (no skip)', RESIDUAL],
  ['TwoLayerNet (', ['W1', 'b1', 'W2', 'b2']],
  ['FullyConnectedNet (none', FC],
  ['FullyConnectedNet (batchnorm', FC_NORM],
  ['FullyConnectedNet (layernorm', FC_NORM],
  ['ThreeLayerConvNet (no batchnorm', CNN],
  ['ThreeLayerConvNet (batchnorm', [...CNN, 'gamma1', 'beta1']],
  ['ConvNet (no batchnorm', CONVNET],
  ['ConvNet (batchnorm', [...CONVNET, 'gamma1', 'beta1', 'gamma2', 'beta2', 'gamma3', 'beta3']],
  ['ResNet (residual', RESNET],
  ['ResNet (no skip', RESNET],
  ['Airbench (widths 2/3/3', ['b0', 'W1', 'beta1', 'W2', 'beta2', 'W3', 'beta3', 'W4', 'beta4', 'W5', 'beta5', 'W6', 'beta6', 'W7']],
  ['gelu', ['dx']],
  ['gelu fast', ['dx']],
];

describe('gradient catalogue, seed 0', () => {
  let rows: GradRow[] = [];
  let leaked = NaN;

  beforeAll(async () => {
    await useBackend();
    const before = tf.memory().numTensors;
    rows = runCatalogue({ seed: 0 });
    leaked = tf.memory().numTensors - before;
  });

  it('every gradient of every layer and model passes both checks', () => {
    expect(rows.filter((r) => !r.pass).map(describeRow)).toEqual([]);
  });

  it('has every layer and model, each with every gradient', () => {
    const byLayer = new Map<string, string[]>();
    for (const r of rows) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r.param]);
    for (const [prefix, params] of EXPECTED) {
      const layers = [...byLayer.keys()].filter((l) => l === prefix || (prefix.includes(' (') && l.startsWith(prefix)));
      expect([prefix, layers.length]).toEqual([prefix, 1]);
      expect([prefix, [...byLayer.get(layers[0])!].sort()]).toEqual([prefix, [...params].sort()]);
    }
    expect(byLayer.size).toBe(CATALOGUE.length);
  });

  it('compares real gradients: numeric checks cover entries, and only biases before batchnorm are zero', () => {
    for (const r of rows) expect([r.layer, r.param, r.numericEntries > 0]).toEqual([r.layer, r.param, true]);
    const zero = rows.filter((r) => r.zeroGradient).map((r) => `${r.layer.split(' (')[0]} ${r.param}`);
    const resNetBiases = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `ResNet b${i}`);
    const residualBiases = ['residual block db1', 'residual block db2'];
    expect(zero.sort()).toEqual(
      [
        'ConvNet b1',
        'ConvNet b2',
        'ConvNet b3',
        'FullyConnectedNet b1',
        'FullyConnectedNet b2',
        'ThreeLayerConvNet b1',
        'conv-bn-relu db',
        ...residualBiases,
        ...residualBiases,
        ...resNetBiases,
        ...resNetBiases,
      ].sort(),
    );
  });

  it('frees every tensor it makes', () => {
    expect(leaked).toBe(0);
  });
});

describe('the harness', () => {
  beforeAll(() => useBackend());

  it('fails a wrong backward pass on both checks', () => {
    // relu backward that forgets the switch: dx = dout everywhere.
    const wrong = layerCase('relu that passes every gradient', (rng) => ({
      inputs: { x: rng.randn([4, 5]) },
      dout: rng.randn([4, 5]),
      forward: (i) => reluForward(i.x),
      backward: (d) => ({ dx: tf.clone(d as tf.Tensor) }),
      twin: (i) => reluRef(i.x),
    }));
    const [row] = wrong.run(new Rng(1));
    expect(row.pass).toBe(false);
    expect(row.relErrAutodiff).toBeGreaterThan(0.1);
    expect(row.relErrNumeric).toBeGreaterThan(0.1);
  });

  it('fails a backward pass that leaves out a gradient, naming it', () => {
    const missing = layerCase('affine without db', (rng) => ({
      inputs: { x: rng.randn([2, 3]), w: rng.randn([3, 2]), b: rng.randn([2]) },
      dout: rng.randn([2, 2]),
      forward: (i) => ({ out: tf.add(tf.matMul(i.x, i.w), i.b), cache: i }),
      backward: (d, c) => ({ dx: tf.matMul(d as tf.Tensor, c.w, false, true), dw: tf.matMul(c.x, d as tf.Tensor, true, false) }),
      twin: (i) => tf.add(tf.matMul(i.x, i.w), i.b),
    }));
    const rows = missing.run(new Rng(2));
    expect(rows.map((r) => [r.pass, r.error])).toEqual([[false, 'affine without db: the backward pass returned no db']]);
  });

  it('redraws inputs that put a relu kink inside a numeric step, instead of failing', () => {
    // The first draw sits within 1e-3 of the kink, well inside the 1e-2 step; later draws are ordinary.
    let draws = 0;
    const nearKink = layerCase('relu near its kink', (rng) => {
      const scale = draws++ === 0 ? 1e-3 : 1;
      return {
        inputs: { x: rng.randn([4, 5], scale) },
        dout: rng.randn([4, 5]),
        forward: (i) => reluForward(i.x),
        backward: (d, cache) => ({ dx: tf.mul(d as tf.Tensor, tf.step(cache.x, 0)) }),
        twin: (i) => reluRef(i.x),
        signature: (cache) => Array.from(cache.x.dataSync(), (v) => (v > 0 ? 1 : 0)).join(''),
      };
    });
    const [row] = nearKink.run(new Rng(3));
    expect(row.redraws).toBeGreaterThanOrEqual(1);
    expect(row.pass).toBe(true);
  });
});

describe('kink signatures read from caches', () => {
  beforeAll(() => useBackend());

  it('find every relu input and pool window in a tree of caches, and refuse a tree with neither', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const rng = new Rng(4);
      const { cache } = convReluPoolForward(rng.randn([2, 4, 4, 2]) as tf.Tensor4D, rng.randn([3, 3, 2, 3]) as tf.Tensor4D, rng.randn([3]) as tf.Tensor1D, { stride: 1, pad: 1 }, { poolHeight: 2, poolWidth: 2, stride: 2 });
      const signature = cacheKinks({ blocks: [cache] });
      expect(signature).toBe(positivePattern(cache.relu.x) + argmaxPattern(cache.pool));
      expect(signature).toHaveLength(2 * 2 * 4 * 4 * 3);
    });
    expect(() => tf.tidy(() => cacheKinks({ affine: { x: tf.zeros([1]) } }))).toThrow('cacheKinks: the caches hold no relu or pool cache');
    expect(tf.memory().numTensors).toBe(before);
  });
});
