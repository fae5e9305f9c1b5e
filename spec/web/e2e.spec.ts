/**
 * End-to-end: the playground page (web/) served by its own server, opened in headless Chromium (Debian's
 * chromium, driven by playwright-core), trains the softmax classifier and the convnet for a few steps.
 *
 * Checks: the loss falls; no console error; no tensor leaks (every tensor alive after each step is one the page
 * holds on purpose, and their count is steady); the backend in use is shown (WebGL here runs in software, on
 * SwiftShader: the page says so, or says why it fell back); errors (a NaN loss, no data served) appear on the page.
 * Saves screenshots and a summary under test-output/web/.
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

/** Chromium flags for a headless machine without a GPU: SwiftShader for WebGL, no network chatter. */
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
async function train(page: Page, steps: number): Promise<{ status: PlaygroundStatus; ms: number; pausedAfter: number }> {
  const start = Date.now();
  await page.click('#start', { force: true });
  const reached = await waitFor(page, `${steps} iterations`, (s) => s.iteration >= steps, 200000);
  await page.click('#pause', { force: true });
  await waitFor(page, 'the pause', (s) => s.phase === 'paused');
  // The loop redraws once more after its last slice; give that frame time to land before reading.
  await page.waitForTimeout(200);
  const s = await status(page);
  return { status: s, ms: Date.now() - start, pausedAfter: s.iteration - reached.iteration };
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

  beforeAll(async () => {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-data-'));
    tmp.push(dataDir);
    writeSyntheticCifar(dataDir, 120);
    server = await startServer({ dataDir });
    summary.bundleMs = Math.round(server.bundle.ms);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-chromium-'));
    tmp.push(profile);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1200, height: 1000 },
    });
    // A convnet step on software WebGL can hold the page's thread for seconds on a busy machine; clicks wait for it.
    context.setDefaultTimeout(90000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
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

  test('starts a backend and shows plainly which one runs', async () => {
    const s = await status(page);
    expect(s.phase).toBe('ready');
    expect(s.dataSource).toBe('data_batch_1.bin: 108 training + 12 validation images of 120');
    const b = s.backend;
    if (!b) throw new Error('the page reports no backend');
    expect(['webgl', 'wasm', 'cpu']).toContain(b.name);
    const shown = await page.textContent('#backend');
    expect(shown).toContain(b.name);
    if (b.name === 'webgl') {
      // Headless Chromium has no GPU here: WebGL, if it runs, runs on SwiftShader, and the page must say so.
      expect(shown).toContain(b.renderer);
      if (b.software) expect(await page.isVisible('#notice')).toBe(true);
    } else {
      expect(b.failures.length).toBeGreaterThan(0);
      expect(await page.textContent('#notice')).toContain(`training runs on ${b.name}`);
    }
    summary.backend = b;
    const what = b.name === 'webgl' ? `webgl on ${b.renderer}${b.software ? ' (software: SwiftShader, no GPU)' : ''}` : `${b.name}, fell back: ${b.failures.join('; ')}`;
    console.log(`playground e2e: backend ${what}; page loaded in ${summary.loadMs} ms`);
  });

  test('softmax: the loss falls over a few steps, the charts and templates are drawn, no tensor leaks', async () => {
    await page.selectOption('#model', 'softmax');
    await setField(page, 'batch-size', '25');
    // No regularisation: a falling loss must come from the data term, not from weight decay alone.
    await setField(page, 'reg', '0');
    const { status: s, ms, pausedAfter } = await train(page, 12);
    expect(s.error).toBeNull();
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    expect(s.valAcc.length).toBeGreaterThan(0);
    expect(s.slowRedraws).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: path.join(OUT_DIR, 'playground-softmax.png'), fullPage: true });
    summary.softmax = { steps: s.iteration, pausedAfter, ms, examplesPerSecond: Math.round(s.examplesPerSecond), losses: s.losses, valAcc: s.valAcc, numTensors: s.numTensors };
    console.log(
      `playground e2e: softmax ${s.iteration} steps of 25 in ${ms} ms (${Math.round(s.examplesPerSecond)} examples/s), ` +
        `loss ${s.losses[0].toFixed(3)} -> ${s.losses[s.losses.length - 1].toFixed(3)}, ${s.numTensors} tensors alive, all held`,
    );
  }, 120000);

  test('convnet: the loss falls over a few steps, filters and saliency are drawn, no tensor leaks', async () => {
    await page.selectOption('#model', 'convnet');
    // A small convnet: WebGL in software (SwiftShader) runs convolutions' backward passes slowly, and the default
    // 32 filters of 7x7 take seconds a step on a busy 2-core machine. Twelve images a step: fewer make the minibatch
    // loss too noisy to fall reliably within six steps.
    await setField(page, 'num-filters', '8');
    await setField(page, 'filter-size', '5');
    await setField(page, 'hidden-dim', '50');
    await setField(page, 'batch-size', '12');
    const { status: s, ms, pausedAfter } = await train(page, 6);
    expect(s.model).toBe('convnet');
    expect(s.hyper.updateRule).toBe('adam');
    expect(s.error).toBeNull();
    expectLossFalls(s.losses);
    expectNoLeaks(s);
    expect(await page.textContent('#weights-caption')).toContain('8 conv filters 5x5x3');
    expect(await page.textContent('#model-description')).toContain('conv 5x5x3x8');

    await page.click('#strip .card >> nth=1');
    await waitFor(page, 'the saliency map', (st) => st.saliencyShown);
    expect(await page.textContent('#saliency-caption')).toContain('Saliency of validation image 1');
    expect((await status(page)).numTensors).toBe(s.heldTensors);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: path.join(OUT_DIR, 'playground.png'), fullPage: true });
    summary.convnet = { steps: s.iteration, pausedAfter, ms, examplesPerSecond: Math.round(s.examplesPerSecond), losses: s.losses, numTensors: s.numTensors };
    console.log(
      `playground e2e: convnet ${s.iteration} steps of 12 in ${ms} ms (${Math.round(s.examplesPerSecond)} examples/s), ` +
        `loss ${s.losses[0].toFixed(3)} -> ${s.losses[s.losses.length - 1].toFixed(3)}; screenshot ${path.join(OUT_DIR, 'playground.png')}`,
    );
  }, 240000);

  test('without WebGL the page falls back to wasm, says so plainly, and trains there', async () => {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-chromium-nogl-'));
    tmp.push(profile);
    const noGl = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, '--disable-webgl', '--disable-webgl2'],
      viewport: { width: 1200, height: 1000 },
    });
    try {
      const other = noGl.pages()[0] ?? (await noGl.newPage());
      const errors: string[] = [];
      other.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      other.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      await other.goto(server.url);
      const ready = await waitFor(other, 'the page to load its data', (st) => st.phase !== 'loading');
      expect(ready.phase).toBe('ready');
      expect(ready.backend?.name).toBe('wasm');
      expect(ready.backend?.failures[0]).toMatch(/^webgl: /);
      expect(await other.textContent('#notice')).toContain('webgl is not available here, so training runs on wasm');
      expect(await other.textContent('#backend')).toContain('fell back from webgl');
      await setField(other, 'batch-size', '25');
      await setField(other, 'reg', '0');
      const { status: s, ms } = await train(other, 10);
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

  test('a NaN loss stops training and is shown on the page', async () => {
    await page.selectOption('#model', 'softmax');
    await setField(page, 'learning-rate', '1e35');
    await page.click('#start');
    const s = await waitFor(page, 'the error', (st) => st.phase === 'error', 30000);
    expect(s.error).toMatch(/Training stopped at iteration \d+: Solver: the loss is (NaN|Infinity|-Infinity)/);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error')).toContain('lower the learning rate');
  }, 60000);

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
