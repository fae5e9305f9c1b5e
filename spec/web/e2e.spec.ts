/**
 * End-to-end: the playground page (web/) served by its own server, opened in headless Chromium (Debian's
 * chromium, driven by playwright-core), as a learner would use it on a laptop (1366x768) and a phone (390x844).
 *
 * Checks: WebGL in software (SwiftShader here) makes the page start on wasm and say so; training runs in a Web
 * Worker and Pause answers at once; the first loss is near ln 10 and the loss falls; a live change keeps the
 * weights, is marked on both charts and lands in the address; the epoch counts examples across a batch-size
 * change; the layer view (with its subset note and gradient scale), the gradient check against autodiff and
 * against centred differences, and a planted sign that fails its row; per-rule starting rates (adam -> rmsprop
 * trains on, a fresh convnet on rmsprop trains); a runaway loss and a NaN loss stop with the page's own counters,
 * and the curves survive the stop, a field change and new weights; the compute-time and memory guards, a filter
 * larger than the image and a field that does not parse are refused with the running model kept; a backend
 * switch keeps model, weights, settings and curves without a reload; the confusion matrix; "try your own image";
 * a shared address restores the state and a bad value in it is refused; touch targets and the phone layout; no
 * console error; no tensor leaks; no horizontal scrolling; `--impl exercises` trains a workspace's own relu;
 * `npm run train`'s Airbench loaded to explore (saliency, confusion, uploads; training off, with the reason).
 * Saves screenshots of each view under test-output/web/.
 *
 * The data are a small synthetic set in the official binary format (synthetic_cifar.ts), so the spec needs no
 * download. Without a Chromium binary (CHROMIUM_PATH, default /usr/bin/chromium) the spec is skipped, saying so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../web/server';
import type { PlaygroundStatus } from '../../web/main';
import type { BackendReport } from '../../web/backend';
import { AUTODIFF_BOUND } from '../../src/gradcheck';
import { PAGE_NUMERIC_BOUND } from '../../web/gradient_check';
import { STEP_TIME_LIMIT_S, estimateStepFlops } from '../../web/models';
import { writeSyntheticCifar } from './synthetic_cifar';
import { trainContents, trained, writeCheckpoint } from './train_checkpoint';
import { Airbench } from '../../src/classifiers/airbench';
import { useBackend } from '../support/backend';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT_DIR = path.join(__dirname, '..', '..', 'test-output', 'web');
const SRC_DIR = path.join(__dirname, '..', '..', 'src');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `spec/web/e2e.spec.ts SKIPPED: no Chromium binary at ${CHROMIUM}. Install Debian's chromium (apt-get install -y chromium ` +
      'chromium-driver, as .ci/run does) or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  );
}
const describeWithChromium = haveChromium ? describe : describe.skip;

/** Chromium flags for headless runs: SwiftShader for WebGL (software, no GPU needed), no network chatter. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const status = (page: Page): Promise<PlaygroundStatus> =>
  page.evaluate(() => (window as unknown as { __playground: { status(): PlaygroundStatus } }).__playground.status());

async function waitFor(page: Page, what: string, done: (s: PlaygroundStatus) => boolean, timeoutMs = 60000): Promise<PlaygroundStatus> {
  const deadline = Date.now() + timeoutMs;
  let s = await status(page);
  while (!done(s)) {
    if ((s.phase === 'failed' || s.phase === 'stopped') && !what.includes('stop') && !what.includes('error')) {
      throw new Error(`waiting for ${what}, the page shows: ${s.error}`);
    }
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: timed out after ${timeoutMs} ms; page status ${JSON.stringify({ ...s, memory: undefined, losses: s.losses.length })}`);
    await page.waitForTimeout(100);
    s = await status(page);
  }
  return s;
}

/** Types a value and leaves the field, as a learner does: the browser fires one change event. */
async function setField(page: Page, id: string, value: string): Promise<void> {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).blur();
}

/** Changes a live field and waits until the worker has taken it. */
async function setLive(page: Page, id: string, value: string, taken: (s: PlaygroundStatus) => boolean): Promise<PlaygroundStatus> {
  await setField(page, id, value);
  return waitFor(page, `#${id} = ${value} to be taken`, taken, 30000);
}

/**
 * Presses start, waits for `steps` iterations, presses pause and waits until the worker has stopped. answerMs: how
 * long the page took to answer the Pause click (measured around one round trip that clicks and reads the phase).
 */
async function train(page: Page, steps: number): Promise<{ status: PlaygroundStatus; ms: number; pausedAfter: number; pauseMs: number; answerMs: number }> {
  const start = Date.now();
  await page.click('#start');
  const reached = await waitFor(page, `${steps} iterations`, (s) => s.iteration >= steps, 200000);
  const clicked = Date.now();
  const answer = await page.evaluate(() => {
    document.getElementById('pause')?.click();
    const st = (window as unknown as { __playground: { status(): PlaygroundStatus } }).__playground.status();
    return { phase: st.phase, pausing: st.pausing };
  });
  const answerMs = Date.now() - clicked;
  expect(answer.pausing || answer.phase === 'paused').toBe(true);
  await waitFor(page, 'the pause', (s) => s.phase === 'paused');
  const pauseMs = Date.now() - clicked;
  const s = await status(page);
  return { status: s, ms: Date.now() - start, pausedAfter: s.iteration - reached.iteration, pauseMs, answerMs };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The loss falls: the mean of the last three minibatch losses is below the mean of the first three. */
function expectLossFalls(losses: number[]): void {
  expect(losses.length).toBeGreaterThanOrEqual(6);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
}

/** No leak: after every step the live tensors are exactly those the worker holds, and their count stays put. */
function expectNoLeaks(s: PlaygroundStatus): void {
  for (const m of s.memory) expect({ iteration: m.iteration, unaccounted: m.numTensors - m.held }).toEqual({ iteration: m.iteration, unaccounted: 0 });
  const lastCounts = s.memory.slice(-3).map((m) => m.numTensors);
  expect(new Set(lastCounts).size).toBe(1);
  expect(s.numTensors).toBe(s.heldTensors);
}

/** No horizontal scrolling: the page is no wider than the window. */
async function expectNoHorizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  const size = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(size.scrollWidth).toBeLessThanOrEqual(size.innerWidth);
  return size;
}

async function gradCheck(page: Page, mode: 'autodiff' | 'numeric', plant: boolean): Promise<NonNullable<PlaygroundStatus['gradCheck']>> {
  await page.selectOption('#gradcheck-mode', mode);
  await page.setChecked('#plant-bug', plant);
  await page.evaluate(() => {
    const t = document.getElementById('gradcheck-table');
    t?.replaceChildren();
  });
  const before = (await status(page)).gradChecks;
  await page.click('#gradcheck');
  const s = await waitFor(page, `the ${mode} gradient check`, (st) => st.gradChecks > before, 90000);
  const g = s.gradCheck;
  if (!g) throw new Error('no gradient check');
  expect(g.mode).toBe(mode);
  expect(g.rows.map((r) => r.param).sort()).toEqual(Object.keys(s.paramSums).sort());
  const bound = mode === 'autodiff' ? AUTODIFF_BOUND : PAGE_NUMERIC_BOUND;
  for (const r of g.rows) {
    const planted = plant && r.param === g.planted;
    // A planted sign flip fails its row by a relative error near 2; every other row passes.
    // mode and error ride along on both sides so that a failure names them.
    const shown = `${mode}${plant ? ' planted' : ''}: ${r.relError.toExponential(2)}`;
    expect({ param: r.param, shown, finite: Number.isFinite(r.relError), pass: r.pass, withinBound: r.relError <= bound, large: planted ? r.relError > 1 : true }).toEqual({
      param: r.param,
      shown,
      finite: true,
      pass: !planted,
      withinBound: !planted,
      large: true,
    });
    if (r.param.startsWith('W')) expect({ param: r.param, norm: r.norm > 0 }).toEqual({ param: r.param, norm: true });
  }
  expect(await page.locator('#gradcheck-table tr').count()).toBe(g.rows.length + 1);
  expect(await page.locator('#gradcheck-table td.fail').count()).toBe(plant ? 1 : 0);
  const caption = await page.textContent('#gradcheck-caption');
  expect(caption).toContain(mode === 'autodiff' ? 'Relative error' : 'Centred differences');
  if (plant) expect(caption).toContain('A bug is planted');
  return g;
}

/** The layer view of strip image 1, and the gradient check in both modes, planted and not. */
async function expectLayersAndGradChecks(page: Page, numLayers: number): Promise<{ status: PlaygroundStatus; checks: Record<string, string> }> {
  await page.click('#strip .card >> nth=1');
  const s = await waitFor(page, 'the layer view', (st) => st.saliencyShown && st.layers.length === numLayers);
  for (const l of s.layers) expect(Number.isFinite(l.gradNorm)).toBe(true);
  expect(await page.locator('#layers .layer').count()).toBe(numLayers);
  const text = await page.textContent('#layers');
  expect(text).toContain('||dL/d out||');
  expect(text).toContain('||W|| = ');
  // The scores carry their class names; the gradient bars say their scale.
  expect(await page.locator('#layers .score-cells .score').count()).toBe(10);
  expect(text).toContain('airplane');
  expect(text).toContain('Gradient bars are on a log scale');
  const checks: Record<string, string> = {};
  for (const [mode, plant] of [['autodiff', false], ['numeric', false], ['numeric', true]] as const) {
    const g = await gradCheck(page, mode, plant);
    checks[`${mode}${plant ? ' planted' : ''}`] = g.rows.map((r) => `${r.param} ${r.relError.toExponential(1)}`).join(', ');
  }
  await page.setChecked('#plant-bug', false);
  await page.selectOption('#gradcheck-mode', 'autodiff');
  const after = await status(page);
  expect(after.numTensors).toBe(after.heldTensors);
  return { status: after, checks };
}

async function panelShot(page: Page, selector: string, name: string): Promise<void> {
  const panel = page.locator(selector).locator('xpath=ancestor-or-self::figure[1]');
  await panel.screenshot({ path: path.join(OUT_DIR, `${name}.png`) });
}

function describeFallback(b: BackendReport): string {
  return `${b.name} (${b.simd ? 'SIMD' : 'no SIMD'}, ${b.threads ? 'threads' : 'one thread'}), after ${b.failures.join('; ')}`;
}

describeWithChromium('the playground page in headless Chromium', () => {
  const summary: Record<string, unknown> = {};
  const consoleErrors: string[] = [];
  const tmp: string[] = [];
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;

  const launch = async (extraArgs: string[] = []): Promise<BrowserContext> => {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-chromium-'));
    tmp.push(profile);
    const c = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      viewport: { width: 1366, height: 768 },
    });
    c.setDefaultTimeout(30000);
    return c;
  };

  const watchErrors = (p: Page, into: string[]) => {
    p.on('console', (m) => {
      if (m.type() === 'error') into.push(m.text());
    });
    p.on('pageerror', (e) => into.push(`page error: ${e.message}`));
  };

  beforeAll(async () => {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-data-'));
    tmp.push(dataDir);
    writeSyntheticCifar(dataDir, 120);
    server = await startServer({ dataDir });
    summary.bundleMs = Math.round(server.bundle.ms);
    context = await launch();
    page = context.pages()[0] ?? (await context.newPage());
    watchErrors(page, consoleErrors);
    const start = Date.now();
    await page.goto(server.url);
    await waitFor(page, 'the page to load its data', (s) => s.phase !== 'loading' && s.haveModel && s.paramSums.W !== undefined);
    summary.loadMs = Date.now() - start;
  }, 120000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    for (const dir of tmp) fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(path.join(OUT_DIR, 'e2e-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  });

  test('WebGL in software (SwiftShader): the page starts on wasm and says so in one line', async () => {
    const s = await status(page);
    expect(s.phase).toBe('ready');
    expect(s.dataSource).toBe('data_batch_1.bin: 108 training + 12 validation images of 120');
    const b = s.backend;
    if (!b) throw new Error('the page reports no backend');
    expect(b.name).toBe('wasm');
    expect(b.skippedSoftwareWebgl).toMatch(/swiftshader/i);
    expect(await page.textContent('#notice')).toBe('No GPU here (WebGL runs in software), so the page trains on wasm, about 14 times faster.');
    expect(await page.inputValue('#backend-choice')).toBe('wasm');
    expect(await page.textContent('#backend')).toContain('GFLOP/s');
    expect(s.gflops).toBeGreaterThan(0);
    summary.backend = b;
    summary.gflops = s.gflops;
    console.log(`playground e2e: started on ${b.name}, skipping software WebGL on ${b.skippedSoftwareWebgl}; matrix products at ${s.gflops.toFixed(1)} GFLOP/s; page loaded in ${summary.loadMs} ms`);
  });

  test('softmax: first loss near ln 10; a live change keeps the weights, is marked on both charts and lands in the address; the epoch counts examples', async () => {
    await setLive(page, 'batch-size', '25', (s) => s.hyper.batchSize === 25);
    // No regularisation: a falling loss must come from the data term, not from weight decay alone.
    await setLive(page, 'reg', '0', (s) => s.hyper.reg === 0);
    const first = await train(page, 12);
    const s = first.status;
    expect(s.error).toBeNull();
    expect(Math.abs((s.initialLoss ?? NaN) - Math.log(10))).toBeLessThan(0.1);
    await page.waitForFunction(() => document.getElementById('initial-loss')?.textContent?.includes('expected ln 10 = 2.30'));
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    expect(s.valAcc.length).toBeGreaterThan(0);
    expect(s.slowRedraws).toBeGreaterThan(0);
    // Pause is answered by the page at once, whatever the worker is doing.
    expect(first.answerMs).toBeLessThan(1500);

    const changed = await setLive(page, 'learning-rate', '2e-7', (st) => st.hyper.learningRate === 2e-7);
    expect(changed.iteration).toBe(s.iteration);
    expect(changed.paramSums).toEqual(s.paramSums);
    expect(changed.losses).toEqual(s.losses);
    const event = changed.timeline.events[changed.timeline.events.length - 1];
    expect(event).toEqual({ x: s.iteration, text: 'lr 5e-7 -> 2e-7' });
    expect(await page.textContent('#events')).toContain(`iteration ${s.iteration}: lr 5e-7 -> 2e-7`);
    expect(changed.url).toContain('lr=2e-7');
    expect(changed.url).toContain('batch=25');

    // The epoch is the examples seen over the training set: a batch-size change does not rewrite it.
    const epochBefore = changed.epoch;
    expect(changed.examplesSeen).toBe(25 * s.iteration);
    const bigger = await setLive(page, 'batch-size', '50', (st) => st.hyper.batchSize === 50);
    expect(bigger.epoch).toBe(epochBefore);
    const more = await train(page, s.iteration + 4);
    expect(more.status.examplesSeen).toBe(25 * s.iteration + 50 * (more.status.iteration - s.iteration));
    expect(more.status.epoch).toBeCloseTo(more.status.examplesSeen / 108, 10);
    expect(more.status.progressText).toContain(`${more.status.examplesSeen} examples seen of 108`);
    expect(more.status.losses.slice(0, s.losses.length)).toEqual(s.losses);
    expect(more.status.losses.length).toBe(more.status.iteration);
    await panelShot(page, '#loss-chart', 'view-loss-markers-laptop');
    expect(consoleErrors).toEqual([]);
    summary.softmax = { steps: s.iteration, answerMs: first.answerMs, pauseMs: first.pauseMs, examplesPerSecond: Math.round(s.examplesPerSecond), initialLoss: s.initialLoss };
    console.log(
      `playground e2e: softmax ${s.iteration} steps of 25 in ${first.ms} ms, pause answered by the page in ${first.answerMs.toFixed(0)} ms and by the worker in ` +
        `${first.pauseMs} ms; first loss ${s.initialLoss?.toFixed(3)}; lr change marked at ${s.iteration}; epoch ${epochBefore.toFixed(3)} kept across batch 25 -> 50`,
    );
  }, 180000);

  test('a long run holds a steady tensor count, with accuracy checked every 25 iterations', async () => {
    const before = await status(page);
    await setLive(page, 'learning-rate', '1e-6', (st) => st.hyper.learningRate === 1e-6);
    const { status: s, ms } = await train(page, before.iteration + 150);
    expectNoLeaks(s);
    expect(s.numTensors).toBe(before.numTensors);
    expect(s.checks.length).toBeGreaterThanOrEqual(Math.floor(s.iteration / 25));
    expect(consoleErrors).toEqual([]);
    summary.longRun = { iterations: s.iteration, ms, numTensors: s.numTensors, checks: s.checks.length };
    console.log(`playground e2e: long run to iteration ${s.iteration} in ${ms} ms, ${s.numTensors} tensors before and after, ${s.checks.length} accuracy checks`);
  }, 180000);

  test('confusion matrix, and "try your own image": an upload shrunk to 32x32, its scores and saliency; a non-image refused', async () => {
    const s = await waitFor(page, 'the confusion matrix', (st) => st.confusion !== null);
    const m = s.confusion ?? [];
    expect(m).toHaveLength(10);
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(await page.locator('#confusion tr').count()).toBe(11);
    expect(await page.textContent('#confusion')).toContain('automobile');
    const png = await sharp({ create: { width: 120, height: 80, channels: 3, background: { r: 200, g: 40, b: 30 } } }).png().toBuffer();
    await page.setInputFiles('#upload', { name: 'mine.png', mimeType: 'image/png', buffer: png });
    const up = await waitFor(page, 'the upload', (st) => st.upload !== null);
    expect(up.upload?.probs).toHaveLength(10);
    expect(Math.abs((up.upload?.probs ?? []).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    expect(await page.locator('#upload-scores li').count()).toBe(5);
    expect(await page.textContent('#upload-caption')).toContain(`saliency of its top class, ${up.upload?.top}`);
    await panelShot(page, '#confusion', 'view-confusion-laptop');
    await panelShot(page, '#upload', 'view-upload-laptop');
    await page.setInputFiles('#upload', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.waitForFunction(() => document.getElementById('upload-caption')?.textContent?.startsWith('Refused notes.txt'));
    expect(await page.textContent('#upload-caption')).toBe('Refused notes.txt: it is text/plain, not an image (PNG, JPEG, GIF, WebP, BMP).');
    expect(consoleErrors).toEqual([]);
  }, 60000);

  test('layer view and gradient checks (autodiff, centred differences, a planted sign): softmax and the two-layer net', async () => {
    await page.click('#reset');
    await waitFor(page, 'new weights', (st) => st.iteration === 0 && st.phase === 'ready');
    const soft = await expectLayersAndGradChecks(page, 2);
    await panelShot(page, '#gradcheck-table', 'view-gradcheck-planted-laptop');
    await page.selectOption('#model', 'two_layer_net');
    await waitFor(page, 'the two-layer net', (st) => st.model === 'two_layer_net' && st.paramSums.W1 !== undefined);
    await setField(page, 'hidden-dim', '50');
    await waitFor(page, 'the two-layer net with 50 hidden units', (st) => st.hyper.hiddenDim === 50);
    // Centred differences at fresh weights (see the convnet's test); autodiff after training too.
    const net = await expectLayersAndGradChecks(page, 4);
    await train(page, 3);
    expect((await gradCheck(page, 'autodiff', false)).rows.every((r) => r.pass)).toBe(true);
    expect(consoleErrors).toEqual([]);
    summary.gradCheck = { softmax: soft.checks, twoLayerNet: net.checks };
    console.log(`playground e2e: gradient checks softmax ${JSON.stringify(soft.checks)}; two-layer net ${JSON.stringify(net.checks)}`);
  }, 240000);

  test('adam -> rmsprop: the rate becomes rmsprop\'s, the marker says the moments start from zero, and training goes on', async () => {
    const before = await status(page);
    expect(before.hyper.updateRule).toBe('adam');
    await page.selectOption('#update-rule', 'rmsprop');
    const s = await waitFor(page, 'rmsprop', (st) => st.hyper.updateRule === 'rmsprop');
    expect(s.hyper.learningRate).toBe(1e-5);
    expect(s.timeline.events[s.timeline.events.length - 1].text).toBe("lr 1e-4 -> 1e-5, rule adam -> rmsprop (rmsprop's moments start from zero)");
    const { status: after } = await train(page, before.iteration + 15);
    expect(after.error).toBeNull();
    expect(mean(after.losses.slice(-3))).toBeLessThan(3 * Math.log(10));
  }, 120000);

  test('convnet: a fresh one on rmsprop trains; Pause answers; the layer view says it shows a subset of maps; gradient checks', async () => {
    await page.selectOption('#model', 'convnet');
    await waitFor(page, 'the convnet', (st) => st.model === 'convnet' && st.paramSums.W3 !== undefined);
    // A small convnet keeps the spec short on a busy 2-core machine; 20 filters > the 16 maps the view draws.
    await setField(page, 'num-filters', '20');
    await setField(page, 'filter-size', '5');
    await setField(page, 'hidden-dim', '50');
    await waitFor(page, 'the small convnet', (st) => st.hyper.numFilters === 20 && st.hyper.filterSize === 5 && st.hyper.hiddenDim === 50 && st.iteration === 0);
    await setLive(page, 'batch-size', '12', (st) => st.hyper.batchSize === 12);
    await page.selectOption('#update-rule', 'rmsprop');
    await waitFor(page, 'rmsprop', (st) => st.hyper.updateRule === 'rmsprop' && st.hyper.learningRate === 1e-5);
    const checked = await expectLayersAndGradChecks(page, 6);
    const { status: s, ms, pausedAfter, pauseMs, answerMs } = await train(page, 8);
    expect(s.model).toBe('convnet');
    expect(s.error).toBeNull();
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    expect(answerMs).toBeLessThan(1500);
    expect(pauseMs).toBeLessThan(3000);
    expect(await page.textContent('#weights-caption')).toContain('20 conv filters 5x5x3');
    const trained = await gradCheck(page, 'autodiff', false);
    expect(trained.rows.every((r) => r.pass)).toBe(true);
    // Float64 centred differences after training: correct code is not blamed, biases included.
    expect((await gradCheck(page, 'numeric', false)).rows.every((r) => r.pass)).toBe(true);
    await page.click('#strip .card >> nth=1');
    const viewed = await waitFor(page, 'the layer view after training', (st) => st.layers.length === 6);
    expect(viewed.layers.find((l) => l.name.startsWith('conv'))?.note).toBe('the first 16 of 20 feature maps');
    expect(await page.textContent('#layers')).toContain('Shows the first 16 of 20 feature maps.');
    expect(await page.textContent('#saliency-caption')).toContain('Saliency of validation image 1');
    await panelShot(page, '#layers', 'view-layers-laptop');
    expect(consoleErrors).toEqual([]);
    summary.convnet = { steps: s.iteration, pausedAfter, pauseMs, answerMs, ms, examplesPerSecond: Math.round(s.examplesPerSecond), losses: s.losses, gradCheck: checked.checks };
    console.log(
      `playground e2e: convnet (rmsprop at 1e-5) ${s.iteration} steps of 12 in ${ms} ms (${Math.round(s.examplesPerSecond)} examples/s), pause answered by the ` +
        `page in ${answerMs.toFixed(0)} ms, by the worker in ${pauseMs} ms (${pausedAfter} steps after); checks ${JSON.stringify(checked.checks)}`,
    );
  }, 300000);

  test('a runaway loss stops with the page\'s counters; the curves survive the stop, a field change and new weights', async () => {
    await page.selectOption('#model', 'two_layer_net');
    await waitFor(page, 'the two-layer net', (st) => st.model === 'two_layer_net' && st.iteration === 0 && st.paramSums.W1 !== undefined);
    await page.selectOption('#update-rule', 'sgd');
    await waitFor(page, 'sgd', (st) => st.hyper.updateRule === 'sgd');
    await setLive(page, 'learning-rate', '1e9', (st) => st.hyper.learningRate === 1e9);
    const before = await status(page);
    await page.click('#start');
    const s = await waitFor(page, 'the stop', (st) => st.phase === 'stopped', 30000);
    expect(s.error).toMatch(/^Training stopped: the (running mean of the loss over the last \d+ steps is \S+, more than 10 times its start \(\S+\),|loss is (NaN|Infinity)) at iteration \d+ \(epoch [\d.]+\)/);
    expect(s.error).not.toMatch(/ \/ \d+/);
    expect(await page.textContent('#error')).toContain('lower the learning rate');
    expectNoLeaks(s);
    const points = s.timeline.points;
    expect(points).toBeGreaterThan(before.timeline.points);
    expect(s.timeline.events[s.timeline.events.length - 1].text).toBe('stopped: diverged');
    // A field changed after the stop keeps the curve the learner needs to read.
    const changed = await setLive(page, 'learning-rate', '1e-3', (st) => st.hyper.learningRate === 1e-3);
    expect(changed.timeline.points).toBe(points);
    expect(changed.losses).toEqual(s.losses);
    // Start after a stop: new weights, marked, the curves go on after the old ones.
    await page.click('#start');
    const again = await waitFor(page, 'training after the stop', (st) => st.phase === 'training' && st.iteration >= 2, 60000);
    expect(again.timeline.events.some((e) => e.text.startsWith('new weights after the stop'))).toBe(true);
    expect(again.timeline.lastX).toBeGreaterThan(s.timeline.lastX);
    await page.click('#pause');
    await waitFor(page, 'the pause', (st) => st.phase === 'paused');
  }, 120000);

  test('a NaN loss stops training, with the page\'s iteration, not the Solver\'s "583 / 500"', async () => {
    await page.selectOption('#model', 'softmax');
    await waitFor(page, 'the softmax', (st) => st.model === 'softmax' && st.paramSums.W !== undefined);
    await setLive(page, 'learning-rate', '1e35', (st) => st.hyper.learningRate === 1e35);
    await page.click('#start');
    const s = await waitFor(page, 'the stop', (st) => st.phase === 'stopped', 30000);
    expect(s.error).toMatch(/^Training stopped: the (loss is (NaN|Infinity|-Infinity)|running mean of the loss .*,) at iteration \d+ \(epoch [\d.]+\)/);
    expect(s.error).not.toMatch(/ \/ \d+/);
    await setLive(page, 'learning-rate', '5e-7', (st) => st.hyper.learningRate === 5e-7);
    await page.click('#reset');
    const fresh = await waitFor(page, 'new weights after the stop', (st) => st.phase === 'ready' && st.iteration === 0);
    expect(fresh.error).toBeNull();
  }, 60000);

  test('guards: 20,000 hidden units refused for compute time, 200,000 for memory, filter size 33 and -5 refused; the running model stays', async () => {
    await page.selectOption('#model', 'two_layer_net');
    const ready = await waitFor(page, 'the two-layer net', (st) => st.model === 'two_layer_net' && st.paramSums.W1 !== undefined && st.phase === 'ready');
    await setField(page, 'hidden-dim', '50');
    await waitFor(page, 'the net with 50 hidden units', (st) => st.hyper.hiddenDim === 50 && st.iteration === 0);
    await train(page, 2);
    const kept = await status(page);
    const cases: [string, string, RegExp][] = [
      ['hidden-dim', '20000', /^Cannot build the Two-layer net: one training step would take about [\d.]+ s \([\d.]+ GFLOP at the [\d.]+ GFLOP\/s this backend measured\)/],
      ['hidden-dim', '200000', /^Cannot build the Two-layer net: it would need about [\d.]+ GiB/],
      ['hidden-dim', '-5', /^Cannot build the Two-layer net: hidden units must be an integer from 1 to 1000000, got '-5'/],
    ];
    for (const [field, value, message] of cases) {
      await setField(page, field, value);
      const s = await waitFor(page, `the refusal of ${field} = ${value}`, (st) => st.refusal !== null, 10000);
      expect(s.refusal).toMatch(message);
      expect(s.refusal).toContain('The current model is kept.');
      // Nothing was freed or allocated: the model, its numbers and the buttons are as they were.
      expect(s.paramSums).toEqual(kept.paramSums);
      expect(s.iteration).toBe(kept.iteration);
      expect(s.numTensors).toBe(kept.numTensors);
      expect(await page.isDisabled('#start')).toBe(false);
      expect(await page.isDisabled('#reset')).toBe(false);
      // The worker still holds the model: it answers a gradient check on it.
      expect((await gradCheck(page, 'autodiff', false)).rows).toHaveLength(4);
      // The model's own size put back: the refusal goes, and the trained weights stay.
      await setField(page, field, '50');
      const back = await waitFor(page, 'the refusal to clear', (st) => st.refusal === null);
      expect(back.iteration).toBe(kept.iteration);
      expect(back.paramSums).toEqual(kept.paramSums);
    }
    void ready;
    await page.selectOption('#model', 'convnet');
    await waitFor(page, 'the convnet', (st) => st.model === 'convnet' && st.paramSums.W3 !== undefined);
    const conv = await status(page);
    await setField(page, 'filter-size', '33');
    const s = await waitFor(page, 'the refusal of filter size 33', (st) => st.refusal !== null, 10000);
    expect(s.refusal).toMatch(/^Cannot build the Three-layer convnet: filter size must be an odd integer from 1 to 31, got '33'\. The current model is kept\.$/);
    expect(s.paramSums).toEqual(conv.paramSums);
    expect((await gradCheck(page, 'autodiff', false)).rows).toHaveLength(6);
    expect(consoleErrors).toEqual([]);
    summary.guards = s.refusal;
  }, 180000);

  test('a backend switch keeps the model, its weights, the settings and the curves, without reloading the page', async () => {
    await page.selectOption('#model', 'softmax');
    await waitFor(page, 'the softmax', (st) => st.model === 'softmax' && st.paramSums.W !== undefined && st.iteration === 0);
    await setLive(page, 'batch-size', '25', (st) => st.hyper.batchSize === 25);
    await train(page, 5);
    const before = await status(page);
    // The page redraws once per frame: wait for the line rather than read it at once.
    await page.waitForFunction(() => document.getElementById('initial-loss')?.textContent?.startsWith('First loss'));
    const firstLoss = await page.textContent('#initial-loss');
    await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true));
    await page.selectOption('#backend-choice', 'cpu');
    const s = await waitFor(page, 'the cpu backend', (st) => st.backend?.name === 'cpu' && st.phase === 'paused', 60000);
    expect(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    expect(s.model).toBe('softmax');
    expect(s.iteration).toBe(before.iteration);
    expect(s.hyper).toEqual(before.hyper);
    for (const [k, v] of Object.entries(before.paramSums)) expect(s.paramSums[k]).toBeCloseTo(v, 4);
    expect(s.timeline.points).toBe(before.timeline.points);
    expect(s.timeline.events[s.timeline.events.length - 1].text).toBe('backend wasm -> cpu (update-rule state restarts)');
    expect(s.url).toContain('backend=cpu');
    expect(s.notices).toEqual([]);
    const more = await train(page, before.iteration + 3);
    expect(more.status.losses.slice(0, before.losses.length)).toEqual(before.losses);
    // The same model's start: the first-loss line (and the runaway test's reference) survive the switch.
    await page.waitForFunction(() => document.getElementById('initial-loss')?.textContent?.startsWith('First loss'));
    expect(await page.textContent('#initial-loss')).toBe(firstLoss);
    expect(consoleErrors).toEqual([]);
  }, 120000);

  test('phone (390x844) and laptop (1366x768): touch targets of 40 px, the learning rate and the loss chart on one screen, no sideways scrolling; screenshots', async () => {
    const sizes: Record<string, unknown> = {};
    for (const [name, width, height] of [['phone', 390, 844], ['laptop', 1366, 768]] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(400);
      sizes[name] = await expectNoHorizontalOverflow(page);
      const small = await page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLElement>('button, select, input:not([type=checkbox]):not([type=file]), label.inline, label.file-button, details summary'))
          .filter((e) => e.offsetParent !== null)
          .map((e) => ({ what: e.id || e.textContent?.trim().slice(0, 30), h: e.getBoundingClientRect().height }))
          .filter((e) => e.h < 40),
      );
      expect(small).toEqual([]);
      if (name === 'phone') {
        const box = await page.evaluate(() => {
          const lr = document.getElementById('learning-rate')?.getBoundingClientRect();
          const chart = document.getElementById('loss-chart')?.getBoundingClientRect();
          return { lrTop: (lr?.top ?? 0) + window.scrollY, chartBottom: (chart?.bottom ?? 0) + window.scrollY };
        });
        // Both fit in one screen's height: scrolled to the field, the chart is in view.
        expect(box.chartBottom - box.lrTop).toBeLessThanOrEqual(height);
        sizes.phoneLrToChartBottom = box.chartBottom - box.lrTop;
      }
      await page.screenshot({ path: path.join(OUT_DIR, `playground-${name}.png`), fullPage: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(200);
      await page.screenshot({ path: path.join(OUT_DIR, `playground-${name}-first-screen.png`) });
      if (name === 'phone') {
        for (const [sel, view] of [['#loss-chart', 'loss-markers'], ['#confusion', 'confusion'], ['#upload', 'upload'], ['#gradcheck-table', 'gradcheck'], ['#layers', 'layers']]) {
          await panelShot(page, sel, `view-${view}-phone`);
        }
      }
    }
    summary.sizes = sizes;
    expect(consoleErrors).toEqual([]);
  }, 60000);

  test('a shared address restores the model and every setting; a bad value in it is refused in one line', async () => {
    const other = await context.newPage();
    const errors: string[] = [];
    watchErrors(other, errors);
    try {
      await other.goto(`${server.url}?model=two_layer_net&lr=3e-4&reg=0.01&rule=sgd_momentum&batch=30&hidden=40&backend=wasm&evalEvery=0`);
      const s = await waitFor(other, 'the shared state', (st) => st.model === 'two_layer_net' && st.paramSums.W1 !== undefined);
      expect(s.hyper).toEqual({ learningRate: 3e-4, reg: 0.01, updateRule: 'sgd_momentum', batchSize: 30, hiddenDim: 40, numFilters: 32, filterSize: 7 });
      expect(s.backend?.name).toBe('wasm');
      expect(s.notices).toContain('?evalEvery=0 refused: it must be an integer from 1 to 10000; using 25');
      expect(await other.textContent('#accuracy-caption')).toContain('every 25 iterations');
      expect(await other.inputValue('#learning-rate')).toBe('0.0003');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 60000);

  test('asked for WebGL by name, the page keeps it and says that it runs in software', async () => {
    const other = await context.newPage();
    const errors: string[] = [];
    watchErrors(other, errors);
    try {
      await other.goto(`${server.url}?backend=webgl`);
      const s = await waitFor(other, 'the page to load its data', (st) => st.phase !== 'loading');
      expect(s.backend?.name).toBe('webgl');
      expect(s.backend?.software).toBe(true);
      expect(await other.textContent('#notice')).toContain('WebGL runs in software here');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 60000);

  test('without WebGL the page falls back to wasm, says so plainly, and trains there', async () => {
    const noGl = await launch(['--disable-webgl', '--disable-webgl2']);
    try {
      const other = noGl.pages()[0] ?? (await noGl.newPage());
      const errors: string[] = [];
      watchErrors(other, errors);
      await other.goto(`${server.url}?batch=25&reg=0`);
      const ready = await waitFor(other, 'the page to load its data', (st) => st.phase !== 'loading' && st.paramSums.W !== undefined);
      expect(ready.phase).toBe('ready');
      expect(ready.backend?.name).toBe('wasm');
      expect(ready.backend?.failures[0]).toMatch(/^webgl: /);
      expect(await other.textContent('#notice')).toContain('webgl is not available here, so training runs on wasm');
      expect(await other.textContent('#backend')).toContain('fell back from webgl');
      const { status: s, ms } = await train(other, 6);
      expectLossFalls(s.losses);
      expectNoLeaks(s);
      expect(errors).toEqual([]);
      summary.fallback = { backend: s.backend, steps: s.iteration, ms };
      console.log(`playground e2e: without WebGL: ${s.backend ? describeFallback(s.backend) : 'no backend'}; softmax ${s.iteration} steps in ${ms} ms`);
    } finally {
      await noGl.close();
    }
  }, 120000);

  test('no data served: the page says what is missing and how to get it', async () => {
    const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-nodata-'));
    tmp.push(emptyDir);
    const bare = await startServer({ dataDir: emptyDir });
    const other = await context.newPage();
    try {
      await other.goto(bare.url);
      const s = await waitFor(other, 'the no-data error', (st) => st.phase === 'failed');
      expect(s.error).toContain('data_batch_1.bin: 404');
      expect(await other.textContent('#error')).toContain('npm run get-data');
      expect(await other.isDisabled('#start')).toBe(true);
    } finally {
      await other.close();
      await bare.close();
    }
  }, 60000);

  /** A fresh page at `query`, loaded, with its console errors collected into `consoleErrors`. */
  const openPage = async (query: string, viewport = { width: 1366, height: 768 }): Promise<Page> => {
    const other = await context.newPage();
    await other.setViewportSize(viewport);
    watchErrors(other, consoleErrors);
    await other.goto(`${server.url}${query}`);
    await waitFor(other, 'the page to load', (st) => st.phase !== 'loading');
    return other;
  };

  test('sequence 1: a refused hidden size (0, then 20,000 for time) and 100 put back: the trained net goes on, no new weights', async () => {
    const p = await openPage('?model=two_layer_net&hidden=100&batch=25');
    try {
      await waitFor(p, 'the net', (st) => st.haveModel);
      await p.click('#start');
      const trained = await waitFor(p, '10 iterations', (st) => st.iteration >= 10, 60000);
      await setField(p, 'hidden-dim', '0');
      const zero = await waitFor(p, 'the refusal of 0', (st) => st.refusal !== null, 10000);
      expect(zero.refusal).toBe("Cannot build the Two-layer net: hidden units must be an integer from 1 to 1000000, got '0'. The current model is kept.");
      expect(await p.getAttribute('#hidden-dim', 'aria-invalid')).toBe('true');
      // 20,000 hidden units are refused for time only where the page measured a slow enough matrix product (a
      // loaded machine); a faster one builds them, as it should, so this step needs the page's own verdict first.
      const seconds = estimateStepFlops('two_layer_net', { ...trained.hyper, hiddenDim: 20000 }) / (trained.gflops * 1e9);
      if (seconds > STEP_TIME_LIMIT_S) {
        await setField(p, 'hidden-dim', '20000');
        const slow = await waitFor(p, 'the refusal of 20000', (st) => st.refusal?.includes('one training step would take') ?? false, 20000);
        // Training went on through both refusals.
        expect(slow.phase).toBe('training');
      } else {
        console.log(`playground e2e: 20,000 hidden units take ~${seconds.toFixed(2)} s a step here (${trained.gflops.toFixed(1)} GFLOP/s), under the ${STEP_TIME_LIMIT_S} s limit: the refusal for time is not reachable on this machine`);
        expect(zero.phase).toBe('training');
      }
      await setField(p, 'hidden-dim', '100');
      const back = await waitFor(p, 'the refusal to clear', (st) => st.refusal === null, 10000);
      const later = await waitFor(p, 'training to go on', (st) => st.iteration > back.iteration + 2, 30000);
      expect(later.timeline.starts).toHaveLength(1);
      expect(later.iteration).toBeGreaterThan(trained.iteration);
      expect(later.timeline.events.filter((e) => e.text.startsWith('new weights'))).toEqual([]);
      await p.click('#pause');
      await waitFor(p, 'the pause', (st) => st.phase === 'paused');
    } finally {
      await p.close();
    }
  }, 120000);

  test('sequence 2: a model too large in the address is refused with a way on; Start waits for a model that fits', async () => {
    for (const [query, field, value, message] of [
      ['?model=two_layer_net&hidden=1000000', 'hidden-dim', '100', /^Cannot build the Two-layer net: it would need about [\d.]+ GiB/],
      ['?batch=5000&model=convnet', 'batch-size', '25', /^Cannot build the Three-layer convnet: (one training step would take about|it would need about)/],
    ] as const) {
      const p = await openPage(query);
      try {
        const s = await waitFor(p, 'the refusal', (st) => st.phase === 'refused', 30000);
        expect(s.refusal).toMatch(message);
        expect(s.refusal).toContain('There is no model yet: change the fields and the page builds it');
        expect(s.refusal).not.toContain('current model is kept');
        expect(s.buttons).toMatchObject({ start: false, pause: false, newWeights: true, gradcheck: false, save: false });
        await setField(p, field, value);
        const ok = await waitFor(p, 'the model that fits', (st) => st.phase === 'ready' && st.haveModel, 60000);
        expect(ok.refusal).toBeNull();
        expect(ok.buttons).toMatchObject({ start: true, gradcheck: true });
      } finally {
        await p.close();
      }
    }
  }, 120000);

  test('sequence 3: a stop records its loss, its marker comes before the new weights, the speed goes, the running mean restarts', async () => {
    const p = await openPage('?model=two_layer_net&hidden=30&rule=sgd&lr=1e9&batch=25');
    try {
      await waitFor(p, 'the net', (st) => st.haveModel);
      await p.click('#start');
      const s = await waitFor(p, 'the stop', (st) => st.phase === 'stopped', 30000);
      expect(s.progressText).not.toMatch(/loss –/);
      expect(s.rateText).toBe('–');
      expect(await p.textContent('#rate')).toBe('–');
      const stop = s.timeline.events[s.timeline.events.length - 1];
      expect(stop.text).toBe('stopped: diverged');
      await setLive(p, 'learning-rate', '1e-3', (st) => st.hyper.learningRate === 1e-3);
      await p.click('#start');
      const again = await waitFor(p, 'training after the stop', (st) => st.iteration >= 25, 60000);
      const fresh = again.timeline.events.find((e) => e.text.startsWith('new weights after the stop'));
      expect(fresh && fresh.x >= stop.x).toBe(true);
      expect(again.timeline.starts).toHaveLength(2);
      await p.click('#pause');
      await waitFor(p, 'the pause', (st) => st.phase === 'paused');
      await panelShot(p, '#loss-chart', 'view-stop-markers-laptop');
    } finally {
      await p.close();
    }
  }, 120000);

  test('sequence 4 and 6: New weights differ each press; float64 centred differences pass after 5 s of training', async () => {
    const p = await openPage('?model=two_layer_net&hidden=50&batch=25');
    try {
      const first = await waitFor(p, 'the net', (st) => st.haveModel && st.paramSums.W1 !== undefined);
      await p.click('#reset');
      const second = await waitFor(p, 'new weights', (st) => st.timeline.starts.length === 2 && st.paramSums.W1 !== first.paramSums.W1);
      await p.click('#reset');
      const third = await waitFor(p, 'newer weights', (st) => st.timeline.starts.length === 3);
      expect(new Set([first.paramSums.W1, second.paramSums.W1, third.paramSums.W1]).size).toBe(3);
      await p.click('#start');
      await p.waitForTimeout(5000);
      await p.click('#pause');
      await waitFor(p, 'the pause', (st) => st.phase === 'paused');
      const g = await gradCheck(p, 'numeric', false);
      // Correct code, after training: every row passes the page's bound (the rows are printed when one does not).
      expect(g.rows.filter((r) => !r.pass).map((r) => `${r.param} ${r.relError.toExponential(1)}`)).toEqual([]);
      // Numbers never break inside a cell.
      const broken = await p.evaluate(() => Array.from(document.querySelectorAll('#gradcheck-table td.num')).filter((td) => td.getClientRects().length !== 1 || getComputedStyle(td).whiteSpace !== 'nowrap').length);
      expect(broken).toBe(0);
      summary.numericAfterTraining = g.rows.map((r) => `${r.param} ${r.relError.toExponential(1)}`).join(', ');
    } finally {
      await p.close();
    }
  }, 120000);

  test('sequence 5: the same image chosen twice is read twice; its scores follow the training; a refusal clears the last image', async () => {
    const p = await openPage('?model=softmax&batch=25');
    try {
      await waitFor(p, 'the model', (st) => st.haveModel);
      const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 20, g: 160, b: 60 } } }).png().toBuffer();
      const file = { name: 'green.png', mimeType: 'image/png', buffer: png };
      await p.setInputFiles('#upload', file);
      const up = await waitFor(p, 'the upload', (st) => st.upload?.top !== null && st.upload !== null);
      await p.setInputFiles('#upload', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
      await waitFor(p, 'the refusal', (st) => st.upload?.refusal !== null && st.upload !== null);
      expect(await p.locator('#upload-scores li').count()).toBe(0);
      expect(await p.getAttribute('#upload-caption', 'class')).toContain('refused');
      await p.setInputFiles('#upload', file);
      const again = await waitFor(p, 'the same image again', (st) => st.upload?.refusal === null && st.upload?.top !== null);
      expect(again.upload?.top).toBe(up.upload?.top);
      await p.click('#start');
      const later = await waitFor(p, 'new scores as the model trains', (st) => (st.upload?.iteration ?? 0) > 20, 60000);
      expect(later.upload?.probs).toHaveLength(10);
      await p.click('#pause');
      await waitFor(p, 'the pause', (st) => st.phase === 'paused');
    } finally {
      await p.close();
    }
  }, 120000);

  test('sequence 7: ?lr=0x10 is refused, not read as 16; a 20 KB address gets a page that says why', async () => {
    const p = await openPage('?model=softmax&lr=0x10');
    try {
      const s = await waitFor(p, 'the model', (st) => st.haveModel);
      expect(s.notices).toContain('?lr=0x10 refused: it must be a number above 0 and at most 1e38 (e.g. 1e-3); using 5e-7');
      expect(s.hyper.learningRate).toBe(5e-7);
      const response = await p.goto(`${server.url}?model=softmax&lr=${'1'.repeat(20000)}`);
      expect(response?.status()).toBe(431);
      expect(await p.textContent('body')).toContain('longer than the 16 KB this server reads');
    } finally {
      await p.close();
    }
  }, 60000);

  test('sequence 8 and babysitting, on a phone: the introduction shows, whole option names, the babysitting panel', async () => {
    const p = await openPage('?model=convnet&filters=8&filterSize=5&hidden=30&batch=10', { width: 390, height: 844 });
    try {
      await waitFor(p, 'the convnet', (st) => st.haveModel);
      const intro = await p.evaluate(() => {
        const r = document.querySelector('header p')?.getBoundingClientRect();
        return r ? { top: r.top, bottom: r.bottom, height: r.height } : null;
      });
      expect(intro && intro.height > 0 && intro.bottom < 844).toBe(true);
      // The model's name fits its select (the text measured in the select's own font).
      const fits = await p.evaluate(() => {
        const sel = document.getElementById('model') as HTMLSelectElement;
        const ctx = document.createElement('canvas').getContext('2d');
        if (!ctx) return null;
        ctx.font = getComputedStyle(sel).font;
        return { text: ctx.measureText(sel.selectedOptions[0].text).width, box: sel.clientWidth };
      });
      expect(fits && fits.text + 20 <= fits.box).toBe(true);
      await p.click('#start');
      const s = await waitFor(p, 'the babysitting numbers', (st) => st.babysit !== null && st.babysit.ratios.length > 0 && st.iteration >= 5, 60000);
      await p.click('#pause');
      await waitFor(p, 'the pause', (st) => st.phase === 'paused');
      const b = s.babysit;
      expect(b?.layers.filter((l) => l.dead !== null).map((l) => l.name)).toEqual(['relu (conv)', 'affine 2048 -> 30 + relu']);
      expect(b?.ratios.map((r) => r.param)).toEqual(['W1', 'W2', 'W3']);
      expect(await p.locator('#health .health-row').count()).toBe((b?.layers.length ?? 0) + 1);
      // The line on the page is the latest report's diagnosis, or says that nothing looks sick.
      await p.waitForFunction(() => {
        const st = (window as unknown as { __playground: { status(): PlaygroundStatus } }).__playground.status();
        const text = document.getElementById('diagnosis')?.textContent ?? '';
        return st.babysit !== null && (st.babysit.diagnosis === null ? text.startsWith('No layer looks sick at iteration') : text === st.babysit.diagnosis);
      });
      await p.screenshot({ path: path.join(OUT_DIR, 'sequence-phone-first-screen.png') });
      await panelShot(p, '#health', 'view-babysitting-phone');
      await panelShot(p, '#weights', 'view-weights-phone');
    } finally {
      await p.close();
    }
  }, 120000);

  test('save a trained model, load it back (same weights); a damaged weights file is refused in one line', async () => {
    const p = await openPage('?model=two_layer_net&hidden=40&batch=25');
    try {
      await waitFor(p, 'the net', (st) => st.haveModel);
      await train(p, 6);
      const trained = await status(p);
      const downloads: { name: string; file: string }[] = [];
      const saved = new Promise<void>((resolve) => {
        p.on('download', (d) => {
          void d.path().then((file) => {
            downloads.push({ name: d.suggestedFilename(), file });
            if (downloads.length === 2) resolve();
          });
        });
      });
      await p.click('#save-model');
      await saved;
      const names = downloads.map((d) => d.name).sort();
      expect(names).toEqual([`playground-two_layer_net-it${trained.iteration}.bin`, `playground-two_layer_net-it${trained.iteration}.json`]);
      const json = downloads.find((d) => d.name.endsWith('.json'));
      const bin = downloads.find((d) => d.name.endsWith('.bin'));
      if (!json || !bin) throw new Error('no model files');
      const manifest = JSON.parse(fs.readFileSync(json.file, 'utf8')) as { format: string; model: { kind: string } };
      expect(manifest.format).toBe('cs231n-tfjs-checkpoint');
      expect(manifest.model.kind).toBe('TwoLayerNet');
      await p.click('#reset');
      const fresh = await waitFor(p, 'new weights', (st) => st.iteration === 0 && st.timeline.starts.length === 2);
      expect(fresh.paramSums.W1).not.toBe(trained.paramSums.W1);
      await p.setInputFiles('#load-model', [
        { name: names[1], mimeType: 'application/json', buffer: fs.readFileSync(json.file) },
        { name: names[0], mimeType: 'application/octet-stream', buffer: fs.readFileSync(bin.file) },
      ]);
      const loaded = await waitFor(p, 'the loaded model', (st) => st.timeline.events.some((e) => e.text.startsWith('loaded')), 30000);
      for (const [k, v] of Object.entries(trained.paramSums)) expect(loaded.paramSums[k]).toBeCloseTo(v, 4);
      const damaged = fs.readFileSync(bin.file);
      damaged[10] ^= 0xff;
      await p.setInputFiles('#load-model', [
        { name: names[1], mimeType: 'application/json', buffer: fs.readFileSync(json.file) },
        { name: names[0], mimeType: 'application/octet-stream', buffer: damaged },
      ]);
      const refused = await waitFor(p, 'the refusal', (st) => st.fileNote?.startsWith('Cannot load') ?? false, 10000);
      expect(refused.fileNote).toMatch(/^Cannot load the model: .*\.bin's SHA-256 differs from the one .*\.json records/);
    } finally {
      await p.close();
    }
  }, 120000);

  test("npm run train's Airbench, loaded to explore on laptop and phone: saliency, confusion and uploads; Start, New weights, the gradient check off, with the reason; a page model chosen trains again", async () => {
    // The console errors of this test's pages only: the hostile-request tests before it leave their expected 431 and 404.
    consoleErrors.length = 0;
    // A checkpoint as train writes it (parameters, state, best copy, optimizer state), from the scripts' own saveCheckpoint.
    await useBackend('cpu');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-train-ckpt-'));
    tmp.push(dir);
    const model = trained(new Airbench({ widths: [8, 16, 16], seed: 2 }));
    const { manifestPath, weightsPath } = writeCheckpoint(path.join(dir, 'ckpt_epoch_3'), trainContents(model));
    model.dispose();
    const files = [
      { name: path.basename(manifestPath), mimeType: 'application/json', buffer: fs.readFileSync(manifestPath) },
      { name: path.basename(weightsPath), mimeType: 'application/octet-stream', buffer: fs.readFileSync(weightsPath) },
    ];
    for (const [device, viewport] of [
      ['laptop', { width: 1366, height: 768 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const p = await openPage('?model=softmax&batch=25', viewport);
      try {
        const first = await waitFor(p, 'the softmax', (st) => st.haveModel && st.phase === 'ready' && st.slowRedraws > 0);
        await p.setInputFiles('#load-model', files);
        const s = await waitFor(p, 'the explored Airbench', (st) => st.phase === 'exploring' && st.saliencyShown && st.confusion !== null, 60000);
        expect(s.explore?.kind).toBe('Airbench');
        expect(s.explore?.description).toBe('Airbench, widths 8/16/16, trained by npm run train (epoch 3, validation accuracy 0.470)');
        expect(s.buttons).toMatchObject({ start: false, pause: false, newWeights: false, gradcheck: false, save: false, upload: true });
        expect(s.checks).toHaveLength(1);
        expect((s.confusion ?? []).flat().reduce((a, b) => a + b, 0)).toBe(12);
        expect(await p.isVisible('#explore-note')).toBe(true);
        const note = (await p.textContent('#explore-note')) ?? '';
        expect(note).toContain('trained by npm run train');
        expect(note).toContain('pick a page model above to train');
        expect(await p.isDisabled('#learning-rate')).toBe(true);
        expect(await p.inputValue('#model')).toBe('explore');
        expect(s.timeline.events.map((e) => e.text)).toContain(`loaded ckpt_epoch_3: ${s.explore?.description} (explore only)`);
        const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 90, b: 200 } } }).png().toBuffer();
        await p.setInputFiles('#upload', { name: 'sky.png', mimeType: 'image/png', buffer: png });
        const up = await waitFor(p, 'the upload', (st) => (st.upload?.probs.length ?? 0) === 10);
        expect(Math.abs((up.upload?.probs ?? []).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
        await p.click('#start', { force: true }).catch(() => undefined);
        expect((await status(p)).phase).toBe('exploring');
        await expectNoHorizontalOverflow(p);
        await p.screenshot({ path: path.join(OUT_DIR, `explore-airbench-${device}.png`), fullPage: true });
        // Back to a page model: it trains, and the explored model's tensors are gone.
        await p.selectOption('#model', 'softmax');
        const back = await waitFor(p, 'the softmax again', (st) => st.phase === 'ready' && st.explore === null && st.buttons.start);
        expect(back.buttons).toMatchObject({ newWeights: true, gradcheck: true });
        expect(await p.isVisible('#explore-note')).toBe(false);
        expect(back.numTensors).toBe(first.numTensors);
        await train(p, 3);
      } finally {
        await p.close();
      }
    }
    expect(consoleErrors).toEqual([]);
  }, 240000);

  test("--impl exercises: the page trains the workspace's relu (a wrong sign planted in it), names it, and the gradient check catches it", async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-exercises-'));
    tmp.push(workspace);
    fs.mkdirSync(path.join(workspace, 'layers'));
    const source = fs.readFileSync(path.join(SRC_DIR, 'layers', 'relu.ts'), 'utf8');
    const back = path.relative(path.join(workspace, 'layers'), path.join(SRC_DIR, 'layers')).split(path.sep).join('/');
    const planted = source.replace("from './validate'", `from '${back}/validate'`).replace('tf.mul(dout, tf.step(cache.x, 0))', 'tf.neg(tf.mul(dout, tf.step(cache.x, 0)))');
    expect(planted).not.toBe(source);
    fs.writeFileSync(path.join(workspace, 'layers', 'relu.ts'), planted);
    const learnerServer = await startServer({ dataDir: server.dataDir, build: { impl: 'exercises', workspace } });
    const other = await context.newPage();
    try {
      expect(learnerServer.bundle.learner).toEqual({ dir: workspace, files: ['layers/relu.ts'] });
      await other.goto(`${learnerServer.url}?model=two_layer_net&hidden=20&backend=wasm`);
      const s = await waitFor(other, 'the learner page', (st) => st.model === 'two_layer_net' && st.paramSums.W1 !== undefined);
      expect(s.learnerPieces).toEqual(['layers/relu.ts']);
      expect(await other.textContent('#impl')).toContain("your workspace's layers/relu.ts");
      await other.click('#gradcheck');
      const checked = await waitFor(other, 'the gradient check', (st) => st.gradCheck !== null, 60000);
      const failing = checked.gradCheck?.rows.filter((r) => !r.pass).map((r) => r.param).sort();
      expect(failing).toEqual(['W1', 'b1']);
      console.log(`playground e2e: --impl exercises with a wrong sign in the workspace's relu: ${checked.gradCheck?.rows.map((r) => `${r.param} ${r.relError.toExponential(1)}`).join(', ')}`);
    } finally {
      await other.close();
      await learnerServer.close();
    }
    await expect(startServer({ dataDir: server.dataDir, build: { impl: 'exercises', workspace: path.join(workspace, 'missing') } })).rejects.toThrow(
      /^--impl exercises: the workspace .*missing is not a folder; run `npm run exercises -- init` first/,
    );
  }, 120000);
});
