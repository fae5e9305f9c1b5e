/**
 * A model of `npm run train` (Airbench or ResNet), rebuilt in the page's worker from a checked checkpoint
 * (model_file.ts) to be explored: its parameters and state (batchnorm running statistics; Airbench's frozen
 * whitening filters) put back, then only ever run in test mode (loss(X) without labels, inputGradient), so that the
 * running statistics it learnt are the ones used and never move.
 *
 * Preprocessing: `npm run train` subtracts the mean image of its 49,000 training images, the page the mean of its
 * own 5,000 (the first 5,000 of data_batch_1, themselves among the 49,000). On CIFAR-10 the two means differ by at
 * most 2.5 grey levels per pixel (0.9 root mean square), against a pixel spread of 64 (standard deviation): a shift
 * of about 1% of the input's scale, which the first layer's batchnorm (ResNet) or the whitening bias and the
 * batchnorm after the first conv (Airbench) mostly absorb. The page's mean is close enough, so the checkpoint need
 * not carry the script's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Airbench, type AirbenchOptions } from '../src/classifiers/airbench';
import { ResNet, type ResNetOptions } from '../src/classifiers/resnet';
import type { PageModel } from './models';
import type { ExploreSnapshot } from './protocol';
import type { WeightTiles } from './weights_view';

/** An explored model: the page's model contract, and its first filters as tiles. */
export interface ExploreModel {
  model: PageModel;
  tiles: WeightTiles;
}

/**
 * Builds the model a snapshot describes and loads its parameters and state; throws, with every tensor freed, when
 * a parameter or state tensor does not fit the built model (model_file.ts checked the shapes already; this is the
 * model's own word on them).
 */
export function buildExploreModel(snap: ExploreSnapshot): ExploreModel {
  const model = snap.kind === 'Airbench' ? new Airbench(snap.options as AirbenchOptions) : new ResNet(snap.options as ResNetOptions);
  try {
    for (const [name, target] of Object.entries(model.params)) {
      const p = snap.params[name];
      if (!p || p.shape.join() !== target.shape.join()) {
        throw new Error(`the ${snap.kind}'s ${name} is [${target.shape}], and the file's is [${p?.shape ?? 'missing'}]`);
      }
      const value = tf.tensor(p.values, p.shape);
      target.assign(value);
      value.dispose();
    }
    const state = Object.fromEntries(Object.entries(snap.state).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
    try {
      model.loadState(state);
    } catch (e) {
      tf.dispose(Object.values(state));
      throw e;
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, tiles: exploreTiles(model) };
}

/**
 * The first filters that look at pixels, as RGB tiles: Airbench's whitening filters [2, 2, 3, 24] (its first 3x3
 * conv looks at their 24 channels, not at colours), the ResNet's first conv [3, 3, 3, w].
 */
function exploreTiles(model: Airbench | ResNet): WeightTiles {
  const W = model instanceof Airbench ? model.whitenW : (model.params.W1 as tf.Tensor4D);
  const t = tf.transpose(W, [3, 0, 1, 2]); // [HH, WW, C, F] -> [F, HH, WW, C]
  const values = t.dataSync() as Float32Array;
  const [count, h, w] = t.shape;
  t.dispose();
  const caption = model instanceof Airbench ? `${count} frozen patch-whitening filters ${h}x${w}x3 (the first layer)` : `${count} conv filters ${h}x${w}x3`;
  return { values, count, h, w, caption };
}
