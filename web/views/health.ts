/**
 * Babysitting (babysit.ts): per layer, the share of dead ReLU units, a histogram of its outputs and one of the
 * gradient flowing back into them; the update/weight ratio of each weight matrix; and the diagnosis line.
 */
import { BABYSIT_EXAMPLES, DEAD_SHARE_ALARM, type Histogram } from '../babysit';
import type { PageState } from '../machine';
import { byId, make, sci, setText } from './dom';

const ui = {
  diagnosis: byId<HTMLParagraphElement>('diagnosis'),
  table: byId<HTMLDivElement>('health'),
  ratios: byId<HTMLParagraphElement>('update-ratios'),
};

let drawn: unknown = null;

/** A small bar chart of a histogram on a canvas, its range under it. */
function histogramCanvas(h: Histogram, color: string): HTMLElement {
  const wrap = make('span', 'hist');
  const canvas = make('canvas');
  const w = 2 * h.counts.length;
  canvas.width = w;
  canvas.height = 24;
  const ctx = canvas.getContext('2d');
  const max = Math.max(...h.counts, 1);
  if (ctx) {
    ctx.fillStyle = color;
    h.counts.forEach((c, i) => {
      // Square-root heights: a spike at zero (dead units) must not flatten the rest.
      const bar = Math.round(24 * Math.sqrt(c / max));
      ctx.fillRect(2 * i, 24 - bar, 2, bar);
    });
  }
  wrap.append(canvas, make('span', 'range num', `${sci(h.lo, 1)} … ${sci(h.hi, 1)}`));
  return wrap;
}

export function renderHealth(s: PageState): void {
  const b = s.slow?.babysit ?? null;
  if (b === drawn) return;
  drawn = b;
  if (!b) {
    setText(ui.diagnosis, '');
    ui.table.replaceChildren();
    setText(ui.ratios, '');
    return;
  }
  ui.diagnosis.classList.toggle('warn', b.diagnosis !== null);
  setText(
    ui.diagnosis,
    b.diagnosis ?? `No layer looks sick at iteration ${b.iteration}: no ReLU layer has ${Math.round(100 * DEAD_SHARE_ALARM)}% dead units, and updates are a healthy size.`,
  );
  const head = make('div', 'health-row head');
  head.append(make('span', '', 'layer'), make('span', '', 'dead units'), make('span', '', 'outputs'), make('span', '', 'dL/d out'));
  const rows = b.layers.map((l) => {
    const row = make('div', 'health-row');
    const dead = l.dead === null ? '' : `${Math.round(100 * l.dead)}% of ${l.units}`;
    const deadCell = make('span', l.dead !== null && l.dead >= DEAD_SHARE_ALARM ? 'fail' : '', dead);
    row.append(make('span', 'name', l.name), deadCell, histogramCanvas(l.outputs, '#1f6fb2'), histogramCanvas(l.gradients, '#8a4baf'));
    return row;
  });
  ui.table.replaceChildren(head, ...rows);
  setText(
    ui.ratios,
    b.ratios.length === 0
      ? 'Update/weight ratios: measured on the next training step.'
      : `Update/weight ratio over one step (about 1e-3 is healthy): ${b.ratios.map((r) => `${r.param} ${sci(r.ratio, 1)}`).join(', ')}. ` +
          `Dead units and histograms on the first ${Math.min(BABYSIT_EXAMPLES, s.numTrain)} training images at iteration ${b.iteration}.`,
  );
}
