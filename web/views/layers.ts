/**
 * Looking inside the model: the first-layer weights, the validation strip with each image's top three classes,
 * the saliency map of the chosen image, and the layer view (each layer's output for that image and
 * ||dL/d out|| on a stated log scale).
 */
import { CifarSplit } from '../../src/data/split';
import { drawActivations, MAX_MAPS, type LayerRow } from '../layer_view';
import type { PageState } from '../machine';
import { PredictionStrip } from '../predictions';
import { drawSaliency, drawSaliencyScale } from '../saliency';
import { drawTiles } from '../weights_view';
import { byId, make, sci, setText } from './dom';

const ui = {
  weights: byId<HTMLCanvasElement>('weights'),
  weightsCaption: byId<HTMLElement>('weights-caption'),
  strip: byId<HTMLDivElement>('strip'),
  saliencyImage: byId<HTMLCanvasElement>('saliency-image'),
  saliencyMap: byId<HTMLCanvasElement>('saliency-map'),
  saliencyScale: byId<HTMLCanvasElement>('saliency-scale'),
  saliencyMax: byId<HTMLSpanElement>('saliency-max'),
  saliencyCaption: byId<HTMLElement>('saliency-caption'),
  layers: byId<HTMLDivElement>('layers'),
  layersCaption: byId<HTMLSpanElement>('layers-caption'),
};

/** What the layer view shows, for the page's status(). */
export interface LayerSummary {
  name: string;
  shape: number[];
  gradNorm: number;
  note: string;
}

let strip: PredictionStrip | null = null;
let stripFor: unknown = null;
let drawnSlow: unknown = null;
let drawnInspected: unknown = null;
let summary: LayerSummary[] = [];

export function layerSummary(): LayerSummary[] {
  return [...summary];
}

/** onSelect: a strip image was clicked (its position in the strip). */
export function renderLayers(s: PageState, onSelect: (position: number) => void, force = false): void {
  if (s.strip && s.strip !== stripFor) {
    stripFor = s.strip;
    const split = new CifarSplit(s.strip.images, Uint8Array.from(s.strip.labels));
    strip = new PredictionStrip(ui.strip, split, s.strip.labels.map((_, i) => i), s.classNames, onSelect);
  }
  const slow = s.slow;
  if (slow && (slow !== drawnSlow || force)) {
    drawnSlow = slow;
    setText(ui.weightsCaption, `First-layer weights: ${slow.tiles.caption}, each stretched to its own range.`);
    const labels = slow.tiles.caption.includes('class templates') ? s.classNames : undefined;
    drawTiles(ui.weights, slow.tiles, slow.tiles.h >= 32 ? 48 : 35, labels);
    strip?.update(slow.stripProbs);
  }
  const m = s.inspected;
  if (m && m !== drawnInspected) {
    drawnInspected = m;
    const name = s.classNames[m.label];
    const card = ui.strip.querySelectorAll<HTMLCanvasElement>('.card canvas.thumb')[m.position];
    ui.saliencyImage.width = 32;
    ui.saliencyImage.height = 32;
    if (card) ui.saliencyImage.getContext('2d')?.drawImage(card, 0, 0);
    const max = drawSaliency(ui.saliencyMap, m.saliency);
    drawSaliencyScale(ui.saliencyScale);
    setText(ui.saliencyMax, max.toExponential(1));
    setText(
      ui.saliencyCaption,
      `Saliency of validation image ${m.index} (${name}, p = ${m.saliency.probs[m.label].toFixed(2)}): ` +
        '|d score / d pixel|, the largest over the colour channels, from the hand-written backward pass; the scale runs from 0 (black) to ' +
        'the largest value in this image (white).',
    );
    drawLayerRows(m.layers, s.classNames);
    setText(ui.layersCaption, `validation image ${m.index} (${name}), loss ${m.loss.toFixed(3)}`);
    strip?.select(m.position);
  }
}

/** One box per layer: its output, ||dL/d out|| with a bar on a stated log scale, and its weights. */
function drawLayerRows(rows: LayerRow[], classNames: string[]): void {
  if (rows.length === 0) {
    // The worker sends no rows for a model of npm run train (the layer view knows the page's three models only).
    summary = [];
    ui.layers.replaceChildren(make('p', 'note', "The layer view draws the page's own models; for this one, its saliency above."));
    return;
  }
  const maxNorm = Math.max(...rows.map((r) => r.gradNorm), 1e-30);
  summary = [];
  const items = rows.map((r, index) => {
    const box = make('div', 'layer');
    const title = make('div');
    title.append(make('strong', '', r.name), ` [${r.shape.join('x')}]`);
    box.append(title);
    let note = '';
    const isScores = index === rows.length - 1 && r.shape.length === 1 && r.shape[0] === classNames.length;
    if (isScores) {
      box.append(scoreCells(r.values, classNames));
    } else {
      const canvas = make('canvas', r.shape.length !== 3 ? 'vector' : '');
      drawActivations(canvas, r);
      if (r.shape.length === 3) canvas.style.width = `${Math.min(canvas.width * (r.shape[0] >= 32 ? 1.5 : 2.5), 400)}px`;
      box.append(canvas);
      if (r.shape.length === 3 && r.shape[2] > MAX_MAPS) note = `the first ${MAX_MAPS} of ${r.shape[2]} feature maps`;
      else if (r.shape.length === 1 && r.shape[0] > 200) note = `the first 200 of ${r.shape[0]} values`;
      if (note) box.append(make('div', 'muted', `Shows ${note}.`));
    }
    const grad = make('div', 'grad', `||dL/d out|| = ${sci(r.gradNorm)}`);
    const bar = make('span', 'gradbar');
    // A log bar: gradients differ by orders of magnitude between layers.
    const share = Math.max(0.02, 1 + Math.log10(Math.max(r.gradNorm, 1e-30) / maxNorm) / 6);
    bar.style.width = `${(100 * share).toFixed(0)}%`;
    box.append(grad, bar);
    if (r.weights) {
      const w = r.weights;
      box.append(make('div', 'muted', `${w.name} [${w.shape.join('x')}]: ||W|| = ${sci(w.norm)}, ||dW|| = ${sci(w.gradNorm)}`));
    }
    summary.push({ name: r.name, shape: r.shape, gradNorm: r.gradNorm, note });
    return box;
  });
  const scale = make(
    'p',
    'muted scale-note',
    `Gradient bars are on a log scale: a full bar is the largest ||dL/d out|| here (${maxNorm.toExponential(1)}); each sixth shorter is 10 times smaller.`,
  );
  ui.layers.replaceChildren(...items, scale);
}

/** The scores as cells named by their class, the best one marked. */
function scoreCells(values: Float32Array, classNames: string[]): HTMLElement {
  const list = make('div', 'score-cells');
  let best = 0;
  for (let j = 1; j < values.length; j++) if (values[j] > values[best]) best = j;
  values.forEach((v, j) => list.append(make('span', `score${j === best ? ' best' : ''}`, `${classNames[j]} ${v.toFixed(2)}`)));
  return list;
}
