/**
 * The four update rules of src/optim (sgd, sgd_momentum, rmsprop, adam) on a 2-D ill-conditioned quadratic loss,
 *
 *   L(w) = (A * w1^2 + B * w2^2) / 2,   dL/dw = [A * w1, B * w2],   with B / A = 25,
 *
 * a long narrow valley: steep across (w2), nearly flat along (w1). Every rule starts from the same point and
 * takes the same number of steps; the gradient is written out by hand, and each step is the rule's own code,
 * exactly as the Solver calls it. The figure is the one docs/optimizers.md explains: plain SGD zigzags across the
 * valley and crawls along it, momentum builds up speed along it, RMSprop and Adam rescale each coordinate so
 * that both shrink at the same pace and head for the minimum along the diagonal at first.
 *
 * Output (runs/optimizer-paths/): metrics.json (every rule's path and loss per step), paths.png (the paths over
 * the loss's contour lines, and the loss per step on a log scale).
 *
 *   npm run optimizer-paths
 *   npm run optimizer-paths -- --steps 100
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, createCommand, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { OptimConfig, UpdateRuleName, getUpdateRule } from '../src/optim';
import { ChartPanel, linePanel, multiChart } from '../runtime/vis/chart';

/** Curvatures of the two directions: the condition number of the loss is B / A. */
const A = 1;
const B = 25;
const START: [number, number] = [-8, 2];
const STEPS = 50;

/**
 * Each rule's hyperparameters. SGD's step is the largest that keeps the zigzag across the valley well inside
 * stability (lr * B = 1.75 < 2); momentum uses a quarter of it, as momentum 0.9 multiplies the effective step along
 * a steady slope by about 1 / (1 - 0.9) = 10; RMSprop and Adam take steps of about lr per coordinate, whatever the
 * gradient's size, so their lr is a distance in w.
 */
const RULES: { rule: UpdateRuleName; config: Partial<OptimConfig> }[] = [
  { rule: 'sgd', config: { learningRate: 0.07 } },
  { rule: 'sgd_momentum', config: { learningRate: 0.0175, momentum: 0.9 } },
  { rule: 'rmsprop', config: { learningRate: 0.3, decayRate: 0.99 } },
  { rule: 'adam', config: { learningRate: 0.5, beta1: 0.9, beta2: 0.999 } },
];

const loss = (w1: number, w2: number): number => (A * w1 * w1 + B * w2 * w2) / 2;

interface Path {
  w1: number[];
  w2: number[];
  loss: number[];
}

/** Runs one update rule for `steps` steps from START; returns the points visited (START first) and their losses. */
function runRule(rule: UpdateRuleName, config0: Partial<OptimConfig>, steps: number): Path {
  const update = getUpdateRule(rule);
  const result: Path = { w1: [START[0]], w2: [START[1]], loss: [loss(...START)] };
  // One tidy around the whole run: the tensors are two numbers each, and every one is freed at the end.
  tf.tidy(() => {
    let w: tf.Tensor = tf.tensor1d(START);
    let config = config0;
    const curvature = tf.tensor1d([A, B]);
    for (let t = 0; t < steps; t++) {
      const dw = tf.mul(w, curvature); // the gradient of L, by hand
      const step = update(w, dw, config);
      w = step.next;
      config = step.config;
      const [w1, w2] = w.dataSync();
      result.w1.push(w1);
      result.w2.push(w2);
      result.loss.push(loss(w1, w2));
    }
  });
  return result;
}

/** The loss's contour lines L = level: ellipses w1 = sqrt(2 level / A) cos t, w2 = sqrt(2 level / B) sin t. */
function contourRows(levels: number[]): { level: number; order: number; w1: number; w2: number }[] {
  const rows = [];
  const points = 120;
  for (const level of levels) {
    for (let k = 0; k <= points; k++) {
      const t = (2 * Math.PI * k) / points;
      rows.push({ level, order: k, w1: Math.sqrt((2 * level) / A) * Math.cos(t), w2: Math.sqrt((2 * level) / B) * Math.sin(t) });
    }
  }
  return rows;
}

/**
 * The paths over the contour lines. A vega-lite spec of its own rather than linePanel: a path must be drawn in the
 * order it was walked (the `order` channel), not sorted by w1 as a line chart's points are.
 */
function pathsPanel(paths: { label: string; path: Path }[], width: number, height: number): ChartPanel {
  const pathRows = paths.flatMap(({ label, path: p }) => p.w1.map((w1, step) => ({ rule: label, step, w1, w2: p.w2[step] })));
  const x = { field: 'w1', type: 'quantitative' as const, title: 'w1 (flat direction)', scale: { domain: [-9, 3] } };
  const y = { field: 'w2', type: 'quantitative' as const, title: 'w2 (steep direction)', scale: { domain: [-3, 3] } };
  const color = { field: 'rule', type: 'nominal' as const, title: null, scale: { domain: paths.map((p) => p.label) } };
  return {
    width,
    height,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `Paths on L = (w1² + ${B} w2²) / 2, ${paths[0].path.w1.length - 1} steps`,
      width,
      height,
      autosize: { type: 'fit', contains: 'padding' },
      padding: 8,
      layer: [
        {
          data: { values: contourRows([0.5, 2, 8, 18, 32, 50]) },
          mark: { type: 'line', stroke: '#c8c8c8', strokeWidth: 1, clip: true },
          encoding: { x, y, detail: { field: 'level', type: 'nominal' }, order: { field: 'order', type: 'quantitative' } },
        },
        {
          data: { values: pathRows },
          mark: { type: 'line', strokeWidth: 1.5, point: { filled: true, size: 14 }, clip: true },
          encoding: { x, y, color, order: { field: 'step', type: 'quantitative' } },
        },
        {
          data: { values: [{ w1: 0, w2: 0 }] },
          mark: { type: 'point', shape: 'cross', size: 120, color: 'black', strokeWidth: 2 },
          encoding: { x, y },
        },
      ],
      config: {
        font: 'DejaVu Sans',
        background: 'white',
        title: { fontSize: 15, fontWeight: 'bold', offset: 10 },
        axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eeeeee' },
        legend: { labelFontSize: 11, symbolStrokeWidth: 2, labelLimit: 260, orient: 'bottom', columns: 4 },
        view: { stroke: '#bbbbbb' },
      },
    },
  };
}

async function main(): Promise<void> {
  const program = createCommand('optimizer-paths', "the four update rules' paths on an ill-conditioned 2-D quadratic").option(
    '--steps <n>',
    'steps per rule',
    parsePositiveInt('--steps'),
    STEPS,
  );
  program.parse();
  const opts = program.opts<CommonOptions & { steps: number }>();
  const ctx = await startScript('optimizer-paths', opts);
  const steps = opts.steps;
  const paths = RULES.map(({ rule, config }) => ({ rule, label: rule, path: runRule(rule, config, steps) }));

  const lossPanel = linePanel({
    title: 'Loss per step',
    xLabel: 'step',
    yLabel: 'loss',
    logY: true,
    // Below 1e-6 the fastest rule runs on down to float32's rounding, which would squash the others' curves.
    yDomain: [1e-6, 200],
    width: 560,
    height: 460,
    series: paths.map(({ label, path: p }) => ({ name: label, x: p.loss.map((_, i) => i), y: p.loss })),
  });
  const file = path.join(ctx.outDir, 'paths.png');
  await multiChart(file, [pathsPanel(paths, 680, 460), lossPanel]);
  ctx.log(`wrote ${file}`);

  const final = paths.map(({ rule, path: p }) => ({
    rule,
    w1: p.w1[steps],
    w2: p.w2[steps],
    loss: p.loss[steps],
  }));
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    curvature: [A, B],
    start: START,
    steps,
    rules: Object.fromEntries(paths.map(({ rule, path: p }, i) => [rule, { config: RULES[i].config, ...p }])),
  });
  printSummary(`after ${steps} steps from (${START.join(', ')}), loss ${loss(...START)}`, final);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
