/**
 * The catalogue's model cases: every model of src/classifiers, small and seeded, with its loss's autodiff twin. A
 * model's kinks are read from the caches of its own forward pass (kinks.ts). Those caches are private to each
 * model class, which keeps them out of the learner's way; the checks reach them by element access
 * (`net['forward']`), which TypeScript allows and still type-checks, so a renamed or changed forward pass fails to
 * compile here rather than drift. TwoLayerNet, whose loss() runs its two layers inline, is the one exception.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CatalogueCase, labels, modelCase } from './harness';
import { dropoutForward } from '../../src/layers/dropout';
import { affineReluForward } from '../../src/layers/sandwich';
import { TwoLayerNet } from '../../src/classifiers/two_layer_net';
import { FullyConnectedNet, Normalization } from '../../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../../src/classifiers/cnn';
import { ConvNet } from '../../src/classifiers/convnet';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../models';
import { convNetLossRef } from '../convnet';
import { ResNet } from '../../src/classifiers/resnet';
import { resNetLossRef } from '../resnet';
import { Airbench } from '../../src/classifiers/airbench';
import { airbenchLossRef } from '../airbench';

function fcCase(normalization: Normalization): CatalogueCase {
  const keep = 0.75;
  const reg = 0.1;
  return modelCase(`FullyConnectedNet (${normalization}, dropout keep ${keep}, reg ${reg})`, (rng) => {
    const [N, D, C] = [8, 5, 4];
    const net = new FullyConnectedNet({
      hiddenDims: [8, 7],
      inputDim: D,
      numClasses: C,
      normalization,
      reg,
      weightScale: 1,
      dropoutKeepRatio: keep,
      seed: rng.int(2 ** 31),
      dropoutSeed: rng.int(2 ** 31),
    });
    const X = rng.randn([N, D]);
    const y = labels(rng, N, C);
    // The twin needs the masks the net draws: a net with a dropoutSeed draws them, layer by layer, from one fresh
    // Rng(dropoutSeed) per forward pass (fc_net.ts); the same draws give the same masks here.
    const masks = net.options.hiddenDims.map((h) => {
      const { cache } = dropoutForward(tf.zeros([N, h]), { mode: 'train', p: keep, seed: net.options.dropoutSeed });
      return cache.mode === 'train' ? cache.mask : tf.ones([N, h]);
    });
    return {
      model: net,
      X,
      y,
      twin: (p) => fcNetLossRef(p, X, y, { numLayers: net.numLayers, normalization, reg, dropoutMasks: masks }),
      caches: () => net['forward'](X, 'train').caches,
    };
  });
}

function cnnCase(batchnorm: boolean): CatalogueCase {
  const reg = 0.1;
  return modelCase(`ThreeLayerConvNet (${batchnorm ? 'batchnorm' : 'no batchnorm'}, reg ${reg})`, (rng) => {
    const inputDim: [number, number, number] = [4, 4, 2];
    const N = 2;
    const net = new ThreeLayerConvNet({
      inputDim,
      numFilters: 3,
      filterSize: 3,
      hiddenDim: 5,
      numClasses: 4,
      weightScale: 0.3,
      reg,
      batchnorm,
      seed: rng.int(2 ** 31),
    });
    const X = rng.randn([N, ...inputDim]);
    const y = labels(rng, N, 4);
    return {
      model: net,
      X,
      y,
      twin: (p) => threeLayerConvNetLossRef(p, X as tf.Tensor4D, y, { reg, batchnorm }),
      caches: () => net['forward'](X as tf.Tensor4D).caches,
    };
  });
}

/** ConvNet, the model `npm run train` trains, in miniature: two conv blocks (the first pools) and one
 * hidden layer. Pooling first leaves the second block's relu inputs unpooled, so its beta reaches the loss: after a
 * pool most maxima are positive, and a shift that passes every relu unchanged is undone by the hidden batchnorm. */
function convNetCase(batchnorm: boolean): CatalogueCase {
  const reg = 0.1;
  return modelCase(`ConvNet (${batchnorm ? 'batchnorm' : 'no batchnorm'}, reg ${reg})`, (rng) => {
    const inputDim: [number, number, number] = [4, 4, 2];
    const blocks = [{ filters: 3, pool: true }, { filters: 3 }];
    const numHidden = 1;
    const N = 3;
    const net = new ConvNet({
      inputDim,
      blocks,
      filterSize: 3,
      hiddenDims: [5],
      numClasses: 4,
      batchnorm,
      reg,
      weightScale: 0.5,
      seed: rng.int(2 ** 31),
    });
    const X = rng.randn([N, ...inputDim]);
    const y = labels(rng, N, 4);
    return {
      model: net,
      X,
      y,
      twin: (p) => convNetLossRef(p, X, y, { blocks, numHidden, batchnorm, reg }),
      caches: () => net['forward'](X as tf.Tensor4D).caches,
    };
  });
}

/**
 * ResNet, `npm run train`'s default, in miniature: four 8 x 8 grey images, width 1 (channels 1, 2, 4, 8), label
 * smoothing and weight decay on; with and without the skip connections. Batchnorm's gamma and beta are drawn
 * rather than left at 1 and 0: at 1 and 0 the one-channel prep layer's output only scales with gamma1, which the
 * next batchnorm divides out, so gamma1's gradient would be zero. Even this small, the net has ~1,500 relus and
 * pooling windows, and a step of NUMERIC_STEP = 1e-2 moves one of them across its kink for nearly every entry:
 * the centred differences step 1e-3, whose float32 rounding needs the looser bound 5e-2 on relErrNumeric. Nine
 * batchnorm layers over 4 images also round more than one layer does: relErrAutodiff reaches ~2e-5 on the first
 * layers' gamma, bounded at 5e-5 here. (A wrong gradient is off by far more; each layer has its full three-way
 * check, at the usual bounds, among the layer cases.)
 */
function resNetCase(residual: boolean): CatalogueCase {
  const reg = 0.05;
  const labelSmoothing = 0.2;
  return modelCase(`ResNet (${residual ? 'residual' : 'no skip'}, label smoothing ${labelSmoothing}, reg ${reg})`, (rng) => {
    const inputDim: [number, number, number] = [8, 8, 1];
    const N = 4;
    const net = new ResNet({ inputDim, width: 1, numClasses: 4, residual, labelSmoothing, reg, seed: rng.int(2 ** 31) });
    for (const [name, p] of Object.entries(net.params)) {
      if (name.startsWith('gamma')) p.assign(tf.add(1, rng.randn(p.shape, 0.1)));
      if (name.startsWith('beta')) p.assign(rng.randn(p.shape, 0.1));
    }
    const X = rng.randn([N, ...inputDim]);
    const y = labels(rng, N, 4);
    return {
      model: net,
      X,
      y,
      twin: (p) => resNetLossRef(p, X, y, { residual, labelSmoothing, reg }),
      caches: () => net['forward'](X as tf.Tensor4D).caches,
      numericStep: 1e-3,
      numericBound: 5e-2,
      autodiffBound: 5e-5,
    };
  });
}

/**
 * Airbench, `npm run train`'s default, in miniature: four 16 x 16 grey images (16 - 1 = 15 after the whitening
 * conv, then 7, 3 and 1 after the floor pools), widths 2/3/3, whitening filters from the batch itself, label
 * smoothing 0.2. The batchnorm biases are drawn rather than left at 0 and the Dirac-initialised filters are nudged,
 * so that no two entries of a pooling window tie. As in the ResNet's case, the many max-pool windows and the
 * batchnorms over 4 images call for the smaller numeric step and looser bounds.
 */
function airbenchCase(): CatalogueCase {
  const labelSmoothing = 0.2;
  return modelCase(`Airbench (widths 2/3/3, label smoothing ${labelSmoothing})`, (rng) => {
    const inputDim: [number, number, number] = [16, 16, 1];
    const N = 4;
    const net = new Airbench({ inputDim, widths: [2, 3, 3], numClasses: 4, labelSmoothing, seed: rng.int(2 ** 31) });
    const X = rng.randn([N, ...inputDim]) as tf.Tensor4D;
    net.initWhitening(X);
    for (const [name, p] of Object.entries(net.params)) {
      if (name.startsWith('beta') || name === 'b0') p.assign(rng.randn(p.shape, 0.1));
      if (/^W[1-6]$/.test(name)) p.assign(tf.add(p, rng.randn(p.shape, 0.1)));
    }
    const y = labels(rng, N, 4);
    return {
      model: net,
      X,
      y,
      twin: (p) => airbenchLossRef(p, X, y, { labelSmoothing, scoreScale: net.options.scoreScale, whitenW: net.whitenW }),
      caches: () => net['forward'](X, true).caches,
      numericStep: 1e-3,
      numericBound: 5e-2,
      autodiffBound: 5e-5,
    };
  });
}

/** Every model case: the course's models, then the ones `npm run train` trains. */
export const MODEL_CASES: readonly CatalogueCase[] = [
  modelCase('TwoLayerNet (reg 0.1)', (rng) => {
    const [N, D, Hd, C] = [4, 5, 6, 4];
    const reg = 0.1;
    const net = new TwoLayerNet({ inputDim: D, hiddenDim: Hd, numClasses: C, weightScale: 0.5, reg, seed: rng.int(2 ** 31) });
    const X = rng.randn([N, D]);
    const y = labels(rng, N, C);
    return {
      model: net,
      X,
      y,
      twin: (p) => fcNetLossRef(p, X, y, { numLayers: 2, normalization: 'none', reg }),
      // TwoLayerNet runs its layers inside loss() and keeps no forward method; its one kink-bearing layer is its
      // first, the affine-relu sandwich on W1, b1, whose cache is read here.
      caches: () => affineReluForward(X, net.params.W1 as tf.Tensor2D, net.params.b1 as tf.Tensor1D).cache,
    };
  }),
  fcCase('none'),
  fcCase('batchnorm'),
  fcCase('layernorm'),
  cnnCase(false),
  cnnCase(true),
  convNetCase(false),
  convNetCase(true),
  resNetCase(true),
  resNetCase(false),
  airbenchCase(),
];
