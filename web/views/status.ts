/**
 * The status lines and the two charts: backend, data, progress, speed, memory; the loss over the whole session
 * with its running mean (restarting at each new model) and the numbered change markers, listed below it; the
 * accuracy checks; the first-loss lesson and the overfitting line.
 */
import { describeBackend } from '../backend';
import { drawLineChart, segmentedRunningMean } from '../charts';
import type { PageState } from '../machine';
import { EXPECTED_INITIAL_LOSS } from '../models';
import { byId, make, setText } from './dom';

/** Training accuracy this far above validation accuracy is named as overfitting. */
export const OVERFIT_GAP = 0.15;

const ui = {
  backend: byId<HTMLSpanElement>('backend'),
  dataSource: byId<HTMLSpanElement>('data-source'),
  progress: byId<HTMLSpanElement>('progress'),
  rate: byId<HTMLSpanElement>('rate'),
  memory: byId<HTMLSpanElement>('memory'),
  lossChart: byId<HTMLCanvasElement>('loss-chart'),
  logScale: byId<HTMLInputElement>('log-scale'),
  initialLoss: byId<HTMLSpanElement>('initial-loss'),
  events: byId<HTMLOListElement>('events'),
  accuracyChart: byId<HTMLCanvasElement>('accuracy-chart'),
  overfit: byId<HTMLSpanElement>('overfit'),
  accuracyCaption: byId<HTMLSpanElement>('accuracy-caption'),
};
export const logScale = ui.logScale;

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(3);
}

/** The progress line: iteration, epoch, examples seen, the latest loss (the stopping loss after a stop). */
export function progressText(s: PageState): string {
  const p = s.progress;
  if (!p) return '–';
  const last = s.losses[p.iteration - 1];
  const where = `iteration ${p.iteration} (epoch ${p.epoch.toFixed(2)}: ${p.examplesSeen} examples seen of ${s.numTrain})`;
  if (s.stop && s.stop.loss !== null && !Number.isFinite(s.stop.loss)) return `${where}, stopped at loss ${s.stop.loss}`;
  return `${where}, loss ${last === undefined ? '–' : fmt(last)}${s.stop ? ' (stopped)' : ''}`;
}

/** The speed, while training only: a speed after a stop or a pause would describe the past. */
export function rateText(s: PageState): string {
  const p = s.progress;
  if (s.phase !== 'training' || !p || p.examplesPerSecond <= 0) return '–';
  return `${p.examplesPerSecond.toFixed(0)} examples/s (batch ${p.batchSize})`;
}

export function renderStatus(s: PageState, force = false): void {
  const b = s.backend;
  if (b) {
    setText(ui.backend, `${describeBackend(b)}; matrix products at ${s.gflops.toFixed(1)} GFLOP/s`);
    const gpu = b.name === 'webgl' && !b.software && b.failures.length === 0;
    ui.backend.classList.toggle('gpu', gpu);
    ui.backend.classList.toggle('fallback', !gpu);
  } else if (s.switching) {
    setText(ui.backend, `starting ${s.switching.to}…`);
  } else if (s.phase === 'failed') {
    setText(ui.backend, 'none');
  }
  setText(ui.dataSource, s.dataSource ?? (s.phase === 'failed' ? 'none' : 'loading…'));
  const p = s.progress;
  setText(ui.progress, progressText(s));
  setText(ui.rate, rateText(s));
  if (p) {
    setText(
      ui.memory,
      `${p.numTensors} tensors, ${(p.numBytes / 2 ** 20).toFixed(1)} MiB (held: ${p.held.data} data, ${p.held.params} parameters, ${p.held.solver} solver state)`,
    );
    setText(
      ui.initialLoss,
      p.initialLoss === null
        ? `Expect a first loss near ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}.`
        : `First loss ${p.initialLoss.toFixed(2)}, expected ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}: small random weights score every class ` +
            'about the same, so the correct one gets p = 1/10 and -ln(1/10) = 2.30 (regularisation adds a little).',
    );
  }
  const c = s.checks[s.checks.length - 1];
  const gap = c ? c.trainAcc - c.valAcc : 0;
  ui.overfit.classList.toggle('warn', gap > OVERFIT_GAP);
  setText(
    ui.overfit,
    !c
      ? ''
      : gap > OVERFIT_GAP
        ? `Overfitting: training accuracy ${c.trainAcc.toFixed(2)} vs validation ${c.valAcc.toFixed(2)}. The model memorises its training ` +
          'images; more regularisation (try raising reg now), more data or a smaller model narrow the gap.'
        : `Latest: training ${c.trainAcc.toFixed(2)}, validation ${c.valAcc.toFixed(2)} (chance: 0.10).`,
  );
  const sizes = s.evalSizes;
  const every = `every ${s.session.evalEvery} iteration${s.session.evalEvery === 1 ? '' : 's'}`;
  setText(
    ui.accuracyCaption,
    sizes ? `Accuracy on ${sizes.train} fixed training and ${sizes.val} fixed validation images, ${every}.` : `Accuracy on fixed training and validation images, ${every}.`,
  );
  renderCharts(s, force);
}

/** What the charts were last drawn from: they are redrawn only when it changes (or when forced). */
let chartKey = '';

/** The charts, drawn at the canvases' CSS size (a resize or the log-scale box forces a redraw). */
export function renderCharts(s: PageState, force = false): void {
  const t = s.timeline;
  const key = [t.losses.length, t.last, t.events.length, t.checks.length, t.starts.length, ui.logScale.checked, ui.lossChart.clientWidth].join();
  if (key === chartKey && !force) return;
  chartKey = key;
  const { xs, ys } = t.losses.points();
  const window = Math.max(1, Math.round(20 / t.losses.size));
  const markers = t.events.map((e) => ({ x: e.x, label: e.text }));
  drawLineChart(
    ui.lossChart,
    [
      { label: 'minibatch', color: '#1f6fb2', ys, xs, faint: true },
      { label: 'running mean', color: '#1f6fb2', ys: segmentedRunningMean(xs, ys, t.starts, window), xs },
    ],
    { title: 'loss', xLabel: 'iteration (session)', integerX: true, logY: ui.logScale.checked, markers },
  );
  const cx = t.checks.map((c) => c.x);
  const dots = t.checks.length < 60;
  drawLineChart(
    ui.accuracyChart,
    [
      { label: 'train', color: '#d9822b', ys: t.checks.map((c) => c.trainAcc), xs: cx, dots },
      { label: 'validation', color: '#2e8b3d', ys: t.checks.map((c) => c.valAcc), xs: cx, dots },
    ],
    { title: 'accuracy', xLabel: 'iteration (session)', yRange: [0, 1], integerX: true, markers },
  );
  if (ui.events.children.length !== t.events.length) {
    ui.events.replaceChildren(...t.events.map((e) => make('li', '', `iteration ${e.x}: ${e.text}`)));
  }
}
