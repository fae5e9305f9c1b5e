/**
 * End-to-end: the playground page (web/) served by its own server, opened in headless Chromium (Debian's
 * chromium, driven by playwright-core), as a learner would use it on a laptop (1366x768) and a phone (390x844).
 *
 * Checks: WebGL in software (SwiftShader here) makes the page start on wasm and say so; the first loss is near
 * ln 10 and the loss falls; a learning-rate change during training keeps the iteration count and the weights; the
 * layer view and the gradient check show numbers for each model, the check within the project's bound; a runaway
 * loss, a NaN loss, a model too large for memory and missing data each stop with a message on the page; a click
 * answers while the convnet trains; no console error; no tensor leaks over a long run (every tensor alive after
 * each step is one the page holds on purpose, and their count is steady); no horizontal scrolling at either size.
 * Saves screenshots (playground-phone.png, playground-laptop.png) and a summary under test-output/web/.
 *
 * The data are a small synthetic set in the official binary format (synthetic_cifar.ts), so the spec needs no
 * download. Without a Chromium binary (CHROMIUM_PATH, default /usr/bin/chromium) the spec is skipped, saying so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../web/server';
import type { PlaygroundStatus } from '../../web/main';
import type { BackendReport } from '../../web/backend';
import { AUTODIFF_BOUND } from '../../src/gradcheck';
import { writeSyntheticCifar } from './synthetic_cifar';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT_DIR = path.join(__dirname, '..', '..', 'test-output', 'web');
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
    if (s.phase === 'error' && !what.includes('error')) throw new Error(`waiting for ${what}, the page shows an error: ${s.error}`);
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: timed out after ${timeoutMs} ms; page status ${JSON.stringify({ ...s, memory: undefined })}`);
    await page.waitForTimeout(100);
    s = await status(page);
  }
  return s;
}

async function setField(page: Page, id: string, value: string): Promise<void> {
  await page.fill(`#${id}`, value);
  await page.dispatchEvent(`#${id}`, 'change');
}

/**
 * Presses start, waits for `steps` iterations, presses pause and waits until the loop has stopped. The clicks skip
 * Playwright's wait for the button to hold still over two animation frames: a training step holds the page's
 * thread for up to seconds, and the pause would land many steps late.
 */
async function train(page: Page, steps: number): Promise<{ status: PlaygroundStatus; ms: number; pausedAfter: number; pauseMs: number }> {
  const start = Date.now();
  await page.click('#start', { force: true });
  const reached = await waitFor(page, `${steps} iterations`, (s) => s.iteration >= steps, 200000);
  const clicked = Date.now();
  await page.click('#pause', { force: true });
  await waitFor(page, 'the pause', (s) => s.phase === 'paused');
  const pauseMs = Date.now() - clicked;
  // The loop redraws once more after its last slice; give that frame time to land before reading.
  await page.waitForTimeout(200);
  const s = await status(page);
  return { status: s, ms: Date.now() - start, pausedAfter: s.iteration - reached.iteration, pauseMs };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The loss falls: the mean of the last three minibatch losses is below the mean of the first three. */
function expectLossFalls(losses: number[]): void {
  expect(losses.length).toBeGreaterThanOrEqual(6);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
}

/** No leak: after every step the live tensors are exactly those the page holds, and their count stays put. */
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

/** The layer view and the gradient check of the current model, after a click on strip image 1. */
async function expectLayersAndGradCheck(page: Page, numLayers: number): Promise<PlaygroundStatus> {
  await page.click('#strip .card >> nth=1');
  await waitFor(page, 'the layer view', (st) => st.saliencyShown && st.layers.length === numLayers);
  await page.click('#gradcheck');
  const s = await waitFor(page, 'the gradient check', (st) => st.gradCheck !== null, 60000);
  const g = s.gradCheck;
  if (!g) throw new Error('no gradient check');
  expect(g.rows.map((r) => r.param).sort()).toEqual(Object.keys(s.paramSums).sort());
  for (const r of g.rows) {
    expect({ param: r.param, finite: Number.isFinite(r.relError), withinBound: r.relError <= AUTODIFF_BOUND }).toEqual({ param: r.param, finite: true, withinBound: true });
    // Two zero gradients agree trivially: the weights' gradients must be real ones.
    if (r.param.startsWith('W')) expect({ param: r.param, norm: r.norm > 0 }).toEqual({ param: r.param, norm: true });
  }
  // What the learner reads: one row per parameter with its relative error, and a line on what the numbers mean.
  expect(await page.locator('#gradcheck-table tr').count()).toBe(g.rows.length + 1);
  expect(await page.textContent('#gradcheck-caption')).toContain('Relative error');
  for (const l of s.layers) expect(Number.isFinite(l.gradNorm)).toBe(true);
  expect(await page.locator('#layers .layer').count()).toBe(numLayers);
  expect(await page.textContent('#layers')).toContain('||dL/d out||');
  expect(await page.textContent('#layers')).toContain('||W|| = ');
  expect(s.numTensors).toBe(s.heldTensors);
  return s;
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
    // A convnet step can hold the page's thread for a while on a busy machine; clicks wait for it.
    c.setDefaultTimeout(90000);
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
    await waitFor(page, 'the page to load its data', (s) => s.phase !== 'loading');
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
    expect(await page.textContent('#backend')).toContain('wasm');
    summary.backend = b;
    console.log(`playground e2e: started on ${b.name} (${b.simd ? 'SIMD' : 'no SIMD'}, ${b.threads ? 'threads' : 'one thread'}), skipping software WebGL on ${b.skippedSoftwareWebgl}; page loaded in ${summary.loadMs} ms`);
  });

  test('softmax: first loss near ln 10; a live learning-rate change keeps the iteration count and the weights', async () => {
    await page.selectOption('#model', 'softmax');
    await setField(page, 'batch-size', '25');
    // No regularisation: a falling loss must come from the data term, not from weight decay alone.
    await setField(page, 'reg', '0');
    const first = await train(page, 12);
    const s = first.status;
    expect(s.error).toBeNull();
    expect(Math.abs((s.initialLoss ?? NaN) - Math.log(10))).toBeLessThan(0.1);
    expect(await page.textContent('#initial-loss')).toContain('expected ln 10 = 2.30');
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    expect(s.valAcc.length).toBeGreaterThan(0);
    expect(s.slowRedraws).toBeGreaterThan(0);

    await setField(page, 'learning-rate', '2e-7');
    const changed = await status(page);
    expect(changed.hyper.learningRate).toBe(2e-7);
    expect(changed.iteration).toBe(s.iteration);
    expect(changed.paramSums).toEqual(s.paramSums);
    expect(changed.losses).toEqual(s.losses);
    const more = await train(page, s.iteration + 5);
    // Training went on from where it was: the history grew, its start is the same run's.
    expect(more.status.losses.slice(0, s.losses.length)).toEqual(s.losses);
    expect(more.status.losses.length).toBe(more.status.iteration);
    expect(more.status.hyper.learningRate).toBe(2e-7);
    expect(consoleErrors).toEqual([]);
    summary.softmax = { steps: s.iteration, pausedAfter: first.pausedAfter, ms: first.ms, examplesPerSecond: Math.round(s.examplesPerSecond), initialLoss: s.initialLoss, losses: s.losses };
    console.log(
      `playground e2e: softmax ${s.iteration} steps of 25 in ${first.ms} ms (${Math.round(s.examplesPerSecond)} examples/s), first loss ` +
        `${s.initialLoss?.toFixed(3)} (ln 10 = 2.303), -> ${s.losses[s.losses.length - 1].toFixed(3)}; lr changed at iteration ${s.iteration}, weights kept, went on to ${more.status.iteration}`,
    );
  }, 120000);

  test('a long run holds a steady tensor count, with accuracy checked every 25 iterations', async () => {
    const before = await status(page);
    await setField(page, 'learning-rate', '1e-6');
    const { status: s, ms } = await train(page, before.iteration + 250);
    expectNoLeaks(s);
    expect(s.numTensors).toBe(before.numTensors);
    expect(s.checks.length).toBeGreaterThanOrEqual(Math.floor(s.iteration / 25));
    expect(consoleErrors).toEqual([]);
    summary.longRun = { iterations: s.iteration, ms, numTensors: s.numTensors, checks: s.checks.length };
    console.log(`playground e2e: long run to iteration ${s.iteration} in ${ms} ms, ${s.numTensors} tensors before and after, ${s.checks.length} accuracy checks`);
  }, 120000);

  test('layer view and gradient check: softmax and the two-layer net', async () => {
    // New weights: after the long run the softmax classifies the synthetic images perfectly, its loss ~0.
    await page.click('#reset');
    await waitFor(page, 'new weights', (st) => st.iteration === 0 && st.phase === 'ready');
    const soft = await expectLayersAndGradCheck(page, 2);
    await page.selectOption('#model', 'two_layer_net');
    await setField(page, 'hidden-dim', '50');
    await train(page, 3);
    const net = await expectLayersAndGradCheck(page, 4);
    expect(consoleErrors).toEqual([]);
    summary.gradCheck = { softmax: soft.gradCheck, twoLayerNet: net.gradCheck };
    const show = (g: PlaygroundStatus['gradCheck']) => g?.rows.map((r) => `${r.param} ${r.relError.toExponential(1)}`).join(', ');
    console.log(`playground e2e: gradient check softmax: ${show(soft.gradCheck)}; two-layer net: ${show(net.gradCheck)}`);
  }, 120000);

  test('convnet: trains, a click answers at once, layer view and gradient check; screenshots at phone and laptop size without horizontal scrolling', async () => {
    await page.selectOption('#model', 'convnet');
    // A small convnet keeps the spec short on a busy 2-core machine; twelve images a step keep the loss from
    // being too noisy to fall within six steps.
    await setField(page, 'num-filters', '8');
    await setField(page, 'filter-size', '5');
    await setField(page, 'hidden-dim', '50');
    await setField(page, 'batch-size', '12');
    const { status: s, ms, pausedAfter, pauseMs } = await train(page, 6);
    expect(s.model).toBe('convnet');
    expect(s.error).toBeNull();
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    // The Pause click was answered between two training slices, not after a long stall.
    expect(pauseMs).toBeLessThan(1500);
    expect(await page.textContent('#weights-caption')).toContain('8 conv filters 5x5x3');
    const checked = await expectLayersAndGradCheck(page, 6);
    expect(await page.textContent('#saliency-caption')).toContain('Saliency of validation image 1');
    expect(consoleErrors).toEqual([]);

    const sizes: Record<string, unknown> = {};
    for (const [name, width, height] of [['phone', 390, 844], ['laptop', 1366, 768]] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(300);
      sizes[name] = await expectNoHorizontalOverflow(page);
      await page.screenshot({ path: path.join(OUT_DIR, `playground-${name}.png`), fullPage: true });
    }
    summary.convnet = { steps: s.iteration, pausedAfter, pauseMs, ms, examplesPerSecond: Math.round(s.examplesPerSecond), losses: s.losses, gradCheck: checked.gradCheck, sizes };
    console.log(
      `playground e2e: convnet ${s.iteration} steps of 12 in ${ms} ms (${Math.round(s.examplesPerSecond)} examples/s), pause answered in ${pauseMs} ms ` +
        `(${pausedAfter} steps after), gradient check on ${checked.gradCheck?.backend}: ${checked.gradCheck?.rows.map((r) => `${r.param} ${r.relError.toExponential(1)}`).join(', ')}; ` +
        `screenshots in ${OUT_DIR}`,
    );
  }, 240000);

  test('a runaway loss (two-layer net, sgd, learning rate 1e9) stops training with a message', async () => {
    await page.selectOption('#model', 'two_layer_net');
    await page.selectOption('#update-rule', 'sgd');
    await setField(page, 'learning-rate', '1e9');
    await page.click('#start');
    const s = await waitFor(page, 'the error', (st) => st.phase === 'error', 30000);
    expect(s.error).toMatch(/^Training stopped at iteration \d+: the loss is \S+, more than 10 times its start/);
    expect(await page.textContent('#error')).toContain('lower the learning rate');
    expectNoLeaks(s);
  }, 60000);

  test('a NaN loss stops training and is shown on the page', async () => {
    await page.selectOption('#model', 'softmax');
    await setField(page, 'learning-rate', '1e35');
    await page.click('#start');
    const s = await waitFor(page, 'the error', (st) => st.phase === 'error', 30000);
    expect(s.error).toMatch(/^Training stopped at iteration \d+: (Solver: the loss is (NaN|Infinity|-Infinity)|the loss is \S+, more than 10 times)/);
    expect(await page.textContent('#error')).toContain('lower the learning rate');
  }, 60000);

  test('a model too large for memory is refused before it is built, with the estimate', async () => {
    await page.selectOption('#model', 'two_layer_net');
    await setField(page, 'hidden-dim', '200000');
    const s = await waitFor(page, 'the error', (st) => st.phase === 'error', 10000);
    expect(s.error).toMatch(/^Cannot build the Two-layer net: it would need about [\d.]+ GiB/);
    // Nothing was allocated: only the data tensors are alive.
    expect(s.numTensors).toBe(4);
    expect(await page.isDisabled('#start')).toBe(true);
    await setField(page, 'hidden-dim', '100');
    expect((await status(page)).phase).toBe('ready');
  }, 30000);

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
      await other.goto(server.url);
      const ready = await waitFor(other, 'the page to load its data', (st) => st.phase !== 'loading');
      expect(ready.phase).toBe('ready');
      expect(ready.backend?.name).toBe('wasm');
      expect(ready.backend?.failures[0]).toMatch(/^webgl: /);
      expect(await other.textContent('#notice')).toContain('webgl is not available here, so training runs on wasm');
      expect(await other.textContent('#backend')).toContain('fell back from webgl');
      await setField(other, 'batch-size', '25');
      await setField(other, 'reg', '0');
      const { status: s, ms } = await train(other, 6);
      expectLossFalls(s.losses);
      expectNoLeaks(s);
      expect(errors).toEqual([]);
      summary.fallback = { backend: s.backend, steps: s.iteration, ms, examplesPerSecond: Math.round(s.examplesPerSecond), losses: s.losses };
      console.log(
        `playground e2e: without WebGL: ${s.backend ? describeFallback(s.backend) : 'no backend'}; softmax ${s.iteration} steps in ${ms} ms ` +
          `(${Math.round(s.examplesPerSecond)} examples/s), loss ${s.losses[0].toFixed(3)} -> ${s.losses[s.losses.length - 1].toFixed(3)}`,
      );
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
      const s = await waitFor(other, 'the no-data error', (st) => st.phase === 'error');
      expect(s.error).toContain('data_batch_1.bin: 404');
      const shown = await other.textContent('#error');
      expect(shown).toContain('npm run get-data');
      expect(await other.isDisabled('#start')).toBe(true);
    } finally {
      await other.close();
      await bare.close();
    }
  }, 60000);
});
