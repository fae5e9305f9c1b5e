/**
 * Opt-in (PLAYGROUND_SOAK=1, a five-minute run): a learner's session on the playground page in headless Chromium,
 * round after round through every model, live changes, the layer view, both gradient checks, an upload and a
 * backend switch, for PLAYGROUND_SOAK_SECONDS (default 300) seconds. Fails on any console error or page error, on
 * a tensor the worker holds without knowing it, on a tensor count that grows from round to round on the same model
 * and backend, and on a Pause the worker takes more than two seconds to carry out. PLAYGROUND_SOAK_MODEL=convnet
 * (or softmax, two_layer_net) soaks one model alone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { chromium, type Page } from 'playwright-core';
import { startServer } from '../../web/server';
import type { PlaygroundStatus } from '../../web/main';
import { writeSyntheticCifar } from './synthetic_cifar';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECONDS = Number(process.env.PLAYGROUND_SOAK_SECONDS ?? 300);
const run = process.env.PLAYGROUND_SOAK === '1' && fs.existsSync(CHROMIUM);
const OUT_DIR = path.join(__dirname, '..', '..', 'test-output', 'web');
const ONLY = process.env.PLAYGROUND_SOAK_MODEL;

const status = (page: Page): Promise<PlaygroundStatus> =>
  page.evaluate(() => (window as unknown as { __playground: { status(): PlaygroundStatus } }).__playground.status());

async function until(page: Page, what: string, done: (s: PlaygroundStatus) => boolean, ms = 90000): Promise<PlaygroundStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await status(page);
    if (done(s)) return s;
    if (s.phase === 'failed') throw new Error(`${what}: the page shows an error: ${s.error}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${ms} ms`);
    await page.waitForTimeout(200);
  }
}

(run ? test : test.skip)(`a ${SECONDS}-second session: no console error, no leak, Pause always answers`, async () => {
  const tmp = [fs.mkdtempSync(path.join(os.tmpdir(), 'soak-data-')), fs.mkdtempSync(path.join(os.tmpdir(), 'soak-profile-'))];
  writeSyntheticCifar(tmp[0], 300);
  const server = await startServer({ dataDir: tmp[0] });
  const context = await chromium.launchPersistentContext(tmp[1], {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--no-first-run'],
    viewport: { width: 390, height: 844 },
  });
  const errors: string[] = [];
  const log: string[] = [];
  let worstPauseMs = 0;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(`${server.url}?model=softmax&batch=50`);
    await until(page, 'load', (s) => s.paramSums.W !== undefined);
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 90, b: 200 } } }).png().toBuffer();
    const end = Date.now() + SECONDS * 1000;
    const plan: [string, Record<string, string>][] = [
      ['softmax', { 'batch-size': '50' }],
      ['two_layer_net', { 'hidden-dim': '60', 'batch-size': '40' }],
      ['convnet', { 'num-filters': '12', 'filter-size': '5', 'hidden-dim': '40', 'batch-size': '10' }],
    ].filter(([model]) => ONLY === undefined || model === ONLY) as [string, Record<string, string>][];
    if (plan.length === 0) throw new Error(`PLAYGROUND_SOAK_MODEL=${ONLY} is not one of softmax, two_layer_net, convnet`);
    /**
     * Tensors at each round's pause, by model, backend and the tensors the worker holds on purpose (data,
     * parameters, update-rule state, which a new rule creates at its first step): a leak shows as a count that
     * grows while the holdings stay the same.
     */
    const counts: Record<string, number[]> = {};
    let round = 0;
    while (Date.now() < end) {
      const [model, fields] = plan[round % plan.length];
      // One model alone: New weights each round (choosing the model it already runs changes nothing).
      if (plan.length === 1 && round > 0) await page.click('#reset');
      else await page.selectOption('#model', model);
      // On the cpu backend the convnet's defaults may be refused by the compute-time guard: the small fields follow.
      await until(page, `build ${model}`, (s) => (s.model === model && s.phase === 'ready') || s.refusal !== null);
      for (const [id, value] of Object.entries(fields)) {
        await page.fill(`#${id}`, value);
        await page.locator(`#${id}`).blur();
      }
      await page.waitForTimeout(500);
      await until(page, 'the fields taken', (s) => s.phase === 'ready' || s.phase === 'paused');
      await page.click('#start');
      await page.waitForTimeout(4000);
      await page.selectOption('#update-rule', round % 2 === 0 ? 'rmsprop' : 'sgd_momentum');
      await page.waitForTimeout(3000);
      const t0 = Date.now();
      await page.evaluate(() => document.getElementById('pause')?.click());
      const s = await until(page, 'the pause', (st) => st.phase === 'paused' || st.phase === 'stopped', 30000);
      const pauseMs = Date.now() - t0;
      worstPauseMs = Math.max(worstPauseMs, pauseMs);
      await page.click('#strip .card >> nth=2');
      await page.selectOption('#gradcheck-mode', round % 2 === 0 ? 'numeric' : 'autodiff');
      await page.setChecked('#plant-bug', round % 3 === 0);
      const before = s.gradChecks;
      await page.click('#gradcheck');
      await until(page, 'the gradient check', (st) => st.gradChecks > before);
      await page.setInputFiles('#upload', { name: 'blue.png', mimeType: 'image/png', buffer: png });
      await until(page, 'the upload', (st) => st.upload !== null);
      if (round % 3 === 2) {
        const next = s.backend?.name === 'cpu' ? 'wasm' : 'cpu';
        await page.selectOption('#backend-choice', next);
        await until(page, `the ${next} backend`, (st) => st.backend?.name === next && (st.phase === 'paused' || st.phase === 'ready'));
      }
      const after = await status(page);
      for (const m of after.memory) expect(m.numTensors - m.held).toBe(0);
      (counts[`${model} on ${after.backend?.name} holding ${after.heldTensors}`] ??= []).push(after.numTensors);
      log.push(`round ${round}: ${model} on ${after.backend?.name}, iteration ${after.iteration}, ${after.numTensors} tensors, paused by the worker ${pauseMs} ms after the click`);
      round += 1;
    }
    await page.screenshot({ path: path.join(OUT_DIR, `soak-phone${ONLY ? `-${ONLY}` : ''}.png`), fullPage: true });
    log.push(`tensor counts at each pause: ${JSON.stringify(counts)}`);
    for (const [where, seen] of Object.entries(counts)) expect({ where, steady: new Set(seen).size === 1 }).toEqual({ where, steady: true });
  } finally {
    await context.close();
    await server.close();
    for (const dir of tmp) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, `soak-log${ONLY ? `-${ONLY}` : ''}.txt`), `${log.join('\n')}\nworst pause ${worstPauseMs} ms\nconsole errors: ${JSON.stringify(errors)}\n`);
  }
  console.log(`playground soak: ${log.length} rounds in ${SECONDS} s, worst pause ${worstPauseMs} ms, ${errors.length} console errors`);
  expect(errors).toEqual([]);
  expect(worstPauseMs).toBeLessThan(2000);
}, (SECONDS + 240) * 1000);
