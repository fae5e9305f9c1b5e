import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { initBackend } from './runtime/backend';
import { decodeRecords } from './runtime/data/cifar10_format';
import { CifarSplit } from './src/data/split';
import { meanImage, toFloatTensor } from './src/data/preprocess';
import { ThreeLayerConvNet } from './src/classifiers/cnn';
import { Solver } from './src/solver';
import { modelPredictions, predictionAccuracy } from './src/classifiers/accuracy';

async function main() {
  await initBackend('wasm');
  const [ws, lr, bs, reg, secs, scaleIn] = process.argv.slice(2).map(Number);
  const bytes = readFileSync('/work/main/data/cifar-10-batches-bin/data_batch_1.bin');
  const n = 10000;
  const images = new Uint8Array(n * 3072); const labels = new Uint8Array(n);
  decodeRecords('data_batch_1.bin', bytes, images, labels, 0);
  const all = new CifarSplit(images, labels);
  const train = all.subset({ start: 0, end: 5000 }); const val = all.subset({ start: 5000, end: 5500 });
  const mean = meanImage(train);
  let XTrain = toFloatTensor(train, { mean, layout: 'images' }) as tf.Tensor4D;
  let XVal = toFloatTensor(val, { mean, layout: 'images' }) as tf.Tensor4D;
  if (scaleIn) { XTrain = tf.div(XTrain, scaleIn); XVal = tf.div(XVal, scaleIn); }
  const data = { XTrain, yTrain: train.labelsTensor(), XVal, yVal: val.labelsTensor() };
  const model = new ThreeLayerConvNet({ numFilters: 32, filterSize: 7, hiddenDim: 100, weightScale: ws, reg, seed: 0 });
  const solver = new Solver(model, data as any, { updateRule: 'adam', optimConfig: { learningRate: lr }, batchSize: bs, verbose: false, seed: 0 });
  const t0 = Date.now(); let next = 15;
  const yv = val.labels;
  while (true) {
    const loss = solver.step();
    const s = (Date.now() - t0) / 1000;
    if (s > next || s > secs) {
      const pred = modelPredictions(model, XVal);
      const acc = predictionAccuracy(pred, Int32Array.from(yv));
      // dead hidden units over 200 val images
      const dead = tf.tidy(() => {
        const x = tf.slice(XVal, 0, 200);
        const c = tf.relu(tf.add(tf.conv2d(x, model.params.W1 as tf.Tensor4D, 1, 'same'), model.params.b1));
        const p = tf.maxPool(c as tf.Tensor4D, 2, 2, 'valid');
        const h = tf.relu(tf.add(tf.matMul(tf.reshape(p, [200, -1]), model.params.W2 as tf.Tensor2D), model.params.b2));
        const deadH = tf.mean(tf.cast(tf.equal(tf.max(h, 0), 0), 'float32')).dataSync()[0];
        const deadC = tf.mean(tf.cast(tf.equal(tf.max(c, [0, 1, 2]), 0), 'float32')).dataSync()[0];
        return [deadC, deadH];
      });
      console.log(`t=${s.toFixed(0)}s it=${solver.iteration} loss=${loss.toFixed(3)} val=${acc.toFixed(3)} deadConv=${dead[0].toFixed(2)} deadHidden=${dead[1].toFixed(2)}`);
      next += 15;
      if (s > secs) break;
    }
  }
}
main();
