/**
 * Babysitting (web/babysit.ts): dead units counted per ReLU layer, the histograms, and the diagnosis line. A
 * two-layer net whose hidden layer is dead (its inputs pushed far negative, as one far too large step does) is
 * diagnosed, naming the layer and the likely cause; the same net alive is not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { babysit, deadShare, diagnose, histogram } from '../../web/babysit';
import { MODELS, type Hyperparameters } from '../../web/models';
import { Trainer } from '../../web/trainer';
import { useBackend } from '../support/backend';
import { syntheticPageData } from './synthetic_cifar';

beforeAll(() => useBackend('cpu'));

describe('the babysitting numbers', () => {
  it('a unit is dead when it never fires on any image; a conv unit is a filter over every position', () => {
    const dense = tf.tensor2d([
      [0, 1, 0, 0],
      [0, 0, 2, 0],
    ]);
    expect(deadShare(dense)).toEqual({ dead: 0.5, units: 4 });
    const maps = tf.tidy(() => tf.add(tf.zeros([2, 3, 3, 4]), tf.reshape(tf.oneHot(tf.tensor1d([1], 'int32'), 4), [1, 1, 1, 4])));
    expect(deadShare(maps)).toEqual({ dead: 0.75, units: 4 });
    tf.dispose([dense, maps]);
  });

  it('a histogram counts every finite value once, in equal bins from the least to the largest', () => {
    const h = histogram([0, 0, 0, 1, 2, 3], 3);
    expect(h).toEqual({ lo: 0, hi: 3, counts: [3, 1, 2] });
  });

  it('the diagnosis names the deadest layer, then a ratio a hundred times off 1e-3, else says nothing', () => {
    const layer = (name: string, dead: number | null) => ({ name, dead, units: 100, outputs: histogram([0]), gradients: histogram([0]) });
    expect(diagnose([layer('relu (hidden units)', 0.82)], [])).toMatch(/^82% of the units of relu \(hidden units\) never fire: .* Learning rate too high or initial weights too large\?/);
    expect(diagnose([layer('relu', 0.3)], [{ param: 'W1', ratio: 0.5 }])).toMatch(/^One step changes W1 by 5\.0e-1 of its size .*too high/);
    expect(diagnose([layer('relu', 0.3)], [{ param: 'W1', ratio: 1e-7 }])).toMatch(/too low/);
    expect(diagnose([layer('relu', 0.3)], [{ param: 'W1', ratio: 2e-3 }])).toBeNull();
  });
});

describe('a two-layer net whose hidden layer died', () => {
  it('is diagnosed; the same net alive is not', () => {
    const before = tf.memory().numTensors;
    const data = syntheticPageData(60);
    const run = (h: Hyperparameters, steps: number, kill = false) => {
      const t = new Trainer((reg) => MODELS.two_layer_net.build({ ...h, reg }, 0), data, h, 0, 1000);
      try {
        // What one far too large step does to a layer: its inputs pushed so far negative that the ReLU never fires.
        if (kill) tf.tidy(() => t.model.params.b1.assign(tf.fill(t.model.params.b1.shape, -1e4)));
        for (let i = 0; i < steps; i++) {
          t.measureNextStep = i === steps - 1;
          t.step();
        }
        const X = tf.slice(data.XTrain, 0, 60) as tf.Tensor4D;
        const y = tf.slice(data.yTrain, 0, 60) as tf.Tensor1D;
        const b = babysit(t.model, X, y, t.lastUpdateRatios, t.iteration);
        tf.dispose([X, y]);
        return b;
      } finally {
        t.dispose();
      }
    };
    const base: Hyperparameters = { ...MODELS.two_layer_net.defaults, hiddenDim: 50, batchSize: 20 };
    const healthy = run(base, 1);
    const killed = run(base, 1, true);
    tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]);
    const hidden = (b: typeof healthy) => b.layers.find((l) => l.name.startsWith('relu'))?.dead ?? NaN;
    expect({ dead: hidden(healthy), diagnosis: healthy.diagnosis }).toEqual({ dead: expect.any(Number), diagnosis: null });
    expect(hidden(healthy)).toBeLessThan(0.5);
    expect(hidden(killed)).toBeGreaterThanOrEqual(0.5);
    expect(killed.diagnosis).toMatch(/of the units of relu \(hidden units\) never fire/);
    expect(healthy.ratios.map((r) => r.param)).toEqual(['W1', 'W2']);
    expect(tf.memory().numTensors).toBe(before);
  }, 60000);
});
