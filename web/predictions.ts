/**
 * A strip of validation images, each with the model's three most probable classes as bars, refreshed as the model
 * learns. Clicking an image asks for its saliency map.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../src/model';
import type { CifarSplit } from '../src/data/split';
import { IMAGE_BYTES, IMAGE_SIZE } from '../runtime/data/cifar10_format';

/** Softmax probabilities of the model (test mode) for X [N, 32, 32, 3]: [N * C], row-major. */
export function classProbabilities(model: Model, X: tf.Tensor4D): Float32Array {
  const probs = tf.tidy(() => tf.softmax(model.loss(X)));
  const out = probs.dataSync() as Float32Array;
  probs.dispose();
  return out;
}

/** Draws image `i` of a split (NHWC bytes) on a 32x32 canvas; CSS scales it up. */
export function drawCifarImage(canvas: HTMLCanvasElement, split: CifarSplit, i: number): void {
  canvas.width = IMAGE_SIZE;
  canvas.height = IMAGE_SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(IMAGE_SIZE, IMAGE_SIZE);
  const base = i * IMAGE_BYTES;
  for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) {
    for (let c = 0; c < 3; c++) img.data[p * 4 + c] = split.images[base + p * 3 + c];
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  parent.appendChild(e);
  return e;
}

export class PredictionStrip {
  private readonly bars: { name: HTMLElement; fill: HTMLElement; value: HTMLElement }[][] = [];
  private readonly cards: HTMLElement[] = [];

  /**
   * container: where the cards go. val: the validation images. indices: which of them to show.
   * onSelect: called with the position in `indices` of a clicked image.
   */
  constructor(
    container: HTMLElement,
    private readonly val: CifarSplit,
    readonly indices: number[],
    private readonly classNames: readonly string[],
    onSelect: (position: number) => void,
  ) {
    container.replaceChildren();
    indices.forEach((idx, k) => {
      const card = el('button', 'card', container);
      card.type = 'button';
      card.title = 'click for the saliency map';
      card.dataset.index = String(k);
      card.addEventListener('click', () => onSelect(k));
      drawCifarImage(el('canvas', 'thumb', card), val, idx);
      el('div', 'truth', card).textContent = classNames[val.labels[idx]];
      const rows = [];
      for (let r = 0; r < 3; r++) {
        const row = el('div', 'bar', card);
        const name = el('span', 'name', row);
        const track = el('span', 'track', row);
        const fill = el('span', 'fill', track);
        const value = el('span', 'value', row);
        rows.push({ name, fill, value });
      }
      this.bars.push(rows);
      this.cards.push(card);
    });
  }

  /** probs: [indices.length * C] from classProbabilities. Shows each image's top three classes. */
  update(probs: Float32Array): void {
    const c = this.classNames.length;
    this.indices.forEach((idx, k) => {
      const row = Array.from(probs.subarray(k * c, (k + 1) * c));
      const top = row.map((p, j) => [p, j] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
      const truth = this.val.labels[idx];
      top.forEach(([p, j], r) => {
        const bar = this.bars[k][r];
        bar.name.textContent = this.classNames[j];
        bar.fill.style.width = `${(100 * p).toFixed(1)}%`;
        bar.fill.classList.toggle('correct', j === truth);
        bar.value.textContent = `${Math.round(100 * p)}%`;
      });
      this.cards[k].classList.toggle('right', top[0][1] === truth);
    });
  }

  select(position: number): void {
    this.cards.forEach((card, k) => card.classList.toggle('selected', k === position));
  }
}
