/**
 * The checker's hints and checks against the mistakes they exist for (planted_more.ts's ISSUE_PLANTS), run as a
 * learner runs `npm run check`: a linear classifier that trains on the same minibatch every step fails; a hint
 * names a mistake only when the learner's numbers are that mistake's. Also: a workspace whose kNN helpers still
 * throw fails knn_predict_labels even with predictLabels written inline, and a right but very slow naive conv
 * passes with a note that it is slow. Of planted_third.ts's batch, a sample (the whole batch takes about 100 s:
 * `npx tsx spec/exercises/plant_table.ts third` runs it): the two mistakes that once passed and four hints. And the
 * fc net's own wiring of batchnorm and layernorm, which fc_net_loss checks once those layers are written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initWorkspace } from '../../learn/workspace';
import { plantedWorkspace } from './planting';
import { ISSUE_PLANTS, OWN_PLANTS } from './planted_more';
import { THIRD_PLANTS } from './planted_third';
import { Plant } from './planted';
import { checkLines } from './plant_table';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-hints-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Two workspaces of plants that do not reach each other's checks (the two-layer net imports the learner's affine). */
const GROUPS = [
  ['linear_classifier_train', 'svm_loss_naive', 'softmax_loss_vectorized', 'two_layer_net_loss', 'batchnorm_forward', 'make_fooling_image'],
  ['svm_loss_vectorized', 'softmax_loss_naive', 'affine_backward'],
];

describe('hints that point at the mistake', () => {
  it('plants every issue mistake in one of the groups', () => {
    expect(GROUPS.flat().sort()).toEqual(ISSUE_PLANTS.map((p) => p[0]).sort());
  });

  it.each([0, 1])('fails each mistake of group %i with the message that names it', (g) => {
    const plants = ISSUE_PLANTS.filter((p) => GROUPS[g].includes(p[0]));
    const dir = path.join(tmp, `group-${g}`);
    plantedWorkspace(dir, plants);
    const lines = checkLines(dir, plants.map((p) => p[0]));
    const wrong = plants.filter(([id, , , , message]) => !message.test(lines.get(id) ?? '')).map(([id]) => `${id}: ${lines.get(id)}`);
    expect(wrong).toEqual([]);
  }, 300_000);
});

/** predictLabels written inline, correct (ties to the smaller label), without the two helpers it should call. */
const INLINE_PREDICT = [
  'const d = dists.arraySync();',
  'const ytr = this.ytr!;',
  'return Int32Array.from(d.map((row) => {',
  '  const near = row.map((v, j) => [v, j]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k).map((p) => ytr[p[1]]);',
  '  const counts = new Map<number, number>();',
  '  for (const l of near) counts.set(l, (counts.get(l) ?? 0) + 1);',
  '  let best = -1;',
  '  let bestCount = 0;',
  '  for (const [l, c] of counts) if (c > bestCount || (c === bestCount && l < best)) { best = l; bestCount = c; }',
  '  return best;',
  '}));',
].join(' ');

/** A right convolution that calls tfjs ops once per output value: fine on the checks' tiny inputs, slow at scale. */
const SLOW_CONV = [
  'const { stride, pad } = convParam;',
  'const xp = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);',
  'const [N, H, W, C] = xp.shape;',
  'const [HH, WW, , F] = w.shape;',
  'const Ho = Math.floor((H - HH) / stride) + 1;',
  'const Wo = Math.floor((W - WW) / stride) + 1;',
  'const bv = b.dataSync();',
  'const out = new Float32Array(N * Ho * Wo * F);',
  'for (let n = 0; n < N; n++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) for (let f = 0; f < F; f++) {',
  // A floor of 50 us per output, so that the answer is too slow for the script on any machine, however fast its ops.
  '  for (const t0 = performance.now(); performance.now() - t0 < 0.05; );',
  '  out[((n * Ho + i) * Wo + j) * F + f] = tf.tidy(() => tf.sum(tf.mul(tf.slice(xp, [n, i * stride, j * stride, 0], [1, HH, WW, C]), tf.reshape(tf.slice(w, [0, 0, 0, f], [HH, WW, C, 1]), [1, HH, WW, C]))).dataSync()[0]) + bv[f];',
  '}',
  'xp.dispose();',
  'return { out: tf.tensor4d(out, [N, Ho, Wo, F]), cache: { x, w, b, convParam } };',
].join(' ');

describe('the third batch (a sample)', () => {
  // The net's dropout left out of its backward pass and the convnet's test mode left in train mode once passed
  // (fc_net_loss ran the net without dropout; three_layer_convnet_loss ran it without batchnorm, never in test mode).
  const ids = ['fc_net_loss', 'three_layer_convnet_loss', 'two_layer_net_loss', 'softmax_loss', 'spatial_groupnorm_backward', 'compute_saliency_maps'];
  const plants = THIRD_PLANTS.filter((p) => ids.includes(p[0]));

  it('samples one plant per exercise named', () => expect(plants.map((p) => p[0]).sort()).toEqual([...ids].sort()));

  it.each(plants.map((p) => [p[0], p] as const))('fails the %s plant with the message that names it', (_, plant) => {
    const dir = path.join(tmp, `third-${plant[0]}`);
    plantedWorkspace(dir, [plant]);
    expect(checkLines(dir, [plant[0]]).get(plant[0])).toMatch(plant[4]);
  }, 120_000);
});

describe("the fc net's own wiring of batchnorm and layernorm", () => {
  // gamma and beta swapped where the learner's net calls the layer, and the mode never handed to batchnorm:
  // batchnorm_* and layernorm_* run the library's net, and fc_net_loss ran the net without normalisation, so all passed.
  const plants: Plant[] = [
    ['fc_net_loss', 'classifiers/fc_net.ts', 'batchnormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D, bnParam)', 'batchnormForward(h as tf.Tensor2D, p[`beta${i}`] as tf.Tensor1D, p[`gamma${i}`] as tf.Tensor1D, bnParam)', /^FAILS (loss|grads\.\w+) \(batchnorm\): /],
    ['fc_net_loss', 'classifiers/fc_net.ts', 'layernormForward(h as tf.Tensor2D, p[`gamma${i}`] as tf.Tensor1D, p[`beta${i}`] as tf.Tensor1D, {})', 'layernormForward(h as tf.Tensor2D, p[`beta${i}`] as tf.Tensor1D, p[`gamma${i}`] as tf.Tensor1D, {})', /^FAILS (loss|grads\.\w+) \(layernorm\): /],
    // The mode never handed to batchnorm: test mode (loss(X) without y) normalises with the batch's statistics.
    ['fc_net_loss', 'classifiers/fc_net.ts', '        bnParam.mode = mode;\n', '', /^FAILS scores \(test mode, batchnorm\): row 0 scores /],
  ];

  it.each(plants.map((p) => [['test mode', 'batchnorm', 'layernorm'].find((w) => p[4].source.includes(w)) ?? '', p] as const))('fails fc_net_loss with %s wired in wrong', (which, plant) => {
    const dir = path.join(tmp, `fc-wiring-${which.replace(' ', '-')}`);
    plantedWorkspace(dir, [plant]);
    expect(checkLines(dir, [plant[0]]).get(plant[0])).toMatch(plant[4]);
  }, 120_000);
});

describe('the no-loop distances', () => {
  // planted_more.ts's no-loop plants that once passed (no clamp) or failed without a hint (no ||t||^2 term).
  const plants = OWN_PLANTS.filter((p) => p[0] === 'compute_distances_no_loops' && /sqrt\(sq\)|tf\.zeros\(\[Xtr/.test(p[3]));

  it.each(plants.map((p) => [p[3].replace(/\s+/g, ' '), p] as const))('fails %s with the message that names it', (_, plant) => {
    const dir = path.join(tmp, `no-loops-${plants.indexOf(plant)}`);
    plantedWorkspace(dir, [plant]);
    expect(checkLines(dir, [plant[0]]).get(plant[0])).toMatch(plant[4]);
  }, 120_000);

  it('plants both', () => expect(plants.length).toBe(2));
});

describe('what a check covers beyond the values', () => {
  it('fails knn_predict_labels while nearestIndices and voteLabels throw, even with predictLabels written inline', () => {
    const dir = path.join(tmp, 'knn-inline');
    initWorkspace(dir, true, {
      'KNearestNeighbor.predictLabels': INLINE_PREDICT,
      nearestIndices: "throw new Error('not implemented yet: nearestIndices (classifiers/knn.ts)');",
      voteLabels: "throw new Error('not implemented yet: voteLabels (classifiers/knn.ts)');",
    });
    expect(checkLines(dir, ['knn_predict_labels']).get('knn_predict_labels')).toMatch(/^todo write nearestIndices in /);
  }, 120_000);

  it('passes a right but very slow naive conv with a note that names the script and the time', () => {
    const dir = path.join(tmp, 'slow-conv');
    initWorkspace(dir, true, { convForwardNaive: SLOW_CONV });
    const line = checkLines(dir, ['conv_forward_naive']).get('conv_forward_naive');
    expect(line).toMatch(/^pass but slow: convForwardNaive on x \[100, 31, 31, 3\] would take about \d+ (s|min) per call in `npm run convnet`/);
  }, 120_000);
});
