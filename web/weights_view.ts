/**
 * The first layer's weights as pictures, as the course shows them: a linear classifier's class templates and a
 * fully-connected net's first-layer rows are 32x32x3 images; a convnet's first filters are small HHxWWx3 images.
 * Each tile is stretched to 0..255 on its own (min to black, max to white), as the course's visualize_grid does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../src/model';

export interface WeightTiles {
  /** [count, h, w, 3] float values, NHWC. */
  values: Float32Array;
  count: number;
  h: number;
  w: number;
  /** What the tiles are, for the panel's caption. */
  caption: string;
}

/**
 * Reads the first layer of a page model into tiles.
 * Softmax: W [3073, C] (bias row last) -> C templates 32x32. FC nets: W1 [3072, H] -> the first maxTiles of H
 * rows as 32x32 images. Convnet: W1 [HH, WW, 3, F] -> F filters HHxWW.
 */
export function firstLayerTiles(model: Model, maxTiles = 40): WeightTiles {
  const W = model.params.W1 ?? model.params.W;
  if (!W) throw new Error(`firstLayerTiles: the model has neither W1 nor W among its params (${Object.keys(model.params).join(', ')})`);
  const t = tf.tidy(() => {
    if (W.rank === 4) return tf.transpose(W, [3, 0, 1, 2]); // [HH, WW, C, F] -> [F, HH, WW, C]
    if (W.rank === 2) {
      const cols = Math.min((W.shape as [number, number])[1], maxTiles);
      return tf.reshape(tf.transpose(tf.slice(W, [0, 0], [3072, cols])), [cols, 32, 32, 3]);
    }
    throw new Error(`firstLayerTiles: expected W1 [HH, WW, C, F] or W [D, M], got shape [${W.shape}]`);
  });
  const values = t.dataSync() as Float32Array;
  const [count, h, w] = t.shape;
  t.dispose();
  const caption =
    W.rank === 4
      ? `${count} conv filters ${h}x${w}x3`
      : model.params.W
        ? `${count} class templates (columns of W)`
        : `first ${count} of ${W.shape[1]} hidden units (columns of W1)`;
  return { values, count, h, w, caption };
}

/** Draws the tiles in a grid on the canvas, each scaled up by whole pixels to about `tilePx`. */
export function drawTiles(canvas: HTMLCanvasElement, tiles: WeightTiles, tilePx: number, labels?: readonly string[]): void {
  const { values, count, h, w } = tiles;
  const scale = Math.max(1, Math.round(tilePx / Math.max(h, w)));
  const gap = 3;
  const labelH = labels ? 12 : 0;
  const cellW = w * scale + gap;
  const cellH = h * scale + gap + labelH;
  const perRow = Math.max(1, Math.floor((canvas.clientWidth + gap) / cellW));
  const rows = Math.ceil(count / perRow);
  canvas.width = perRow * cellW;
  canvas.height = rows * cellH;
  canvas.style.height = `${canvas.height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const tile = document.createElement('canvas');
  tile.width = w;
  tile.height = h;
  const tctx = tile.getContext('2d');
  if (!tctx) return;
  const img = tctx.createImageData(w, h);
  const size = h * w * 3;
  for (let k = 0; k < count; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = k * size; i < (k + 1) * size; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
    const span = hi - lo || 1;
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) img.data[p * 4 + c] = (255 * (values[k * size + p * 3 + c] - lo)) / span;
      img.data[p * 4 + 3] = 255;
    }
    tctx.putImageData(img, 0, 0);
    const x = (k % perRow) * cellW;
    const y = Math.floor(k / perRow) * cellH;
    ctx.drawImage(tile, x, y, w * scale, h * scale);
    if (labels?.[k]) {
      // The whole class name, in a smaller font where it is wider than its tile ('automobile').
      ctx.fillStyle = '#333';
      ctx.font = '10px system-ui, sans-serif';
      const room = w * scale + gap - 1;
      const px = Math.max(6, Math.min(10, Math.floor((10 * room) / ctx.measureText(labels[k]).width)));
      ctx.font = `${px}px system-ui, sans-serif`;
      ctx.fillText(labels[k], x, y + h * scale + 10, room);
    }
  }
}
