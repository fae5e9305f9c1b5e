import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './web/server';
import { writeSyntheticCifar } from './spec/web/synthetic_cifar';

const ARGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
async function main() {
  const dataDir = process.env.DATA ?? fs.mkdtempSync(path.join(os.tmpdir(), 'probe-data-'));
  if (!process.env.DATA) writeSyntheticCifar(dataDir, 120);
  const server = await startServer({ dataDir });
  const ctx = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'probe-prof-')), { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: +(process.env.W ?? 1366), height: +(process.env.H ?? 768) } });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => { if (m.type() === 'error' || process.env.V) console.log('console:', m.type(), m.text()); });
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  const st = () => page.evaluate(() => (window as any).__playground.status());
  await page.goto(server.url + (process.env.Q ?? ''));
  const steps = (process.env.STEPS ?? '').split(';').filter(Boolean);
  for (const step of steps) {
    const [cmd, ...rest] = step.split(' ');
    const arg = rest.join(' ');
    if (cmd === 'wait') await page.waitForTimeout(+arg);
    else if (cmd === 'click') await page.click(arg);
    else if (cmd === 'fill') { const [id, v] = arg.split('='); await page.fill(id, v); await page.locator(id).blur(); }
    else if (cmd === 'shot') await page.screenshot({ path: `/tmp/wt-35-shots/${arg}.png`, fullPage: true });
    else if (cmd === 'status') { const s = await st(); console.log(JSON.stringify({ ...s, memory: undefined, losses: s.losses.length, checks: s.checks.length, babysit: s.babysit && { d: s.babysit.diagnosis, l: s.babysit.layers.map((l: any) => [l.name, l.dead]), r: s.babysit.ratios } , confusion: undefined, paramSums: undefined, gradCheck: s.gradCheck && s.gradCheck.rows.map((r: any) => [r.param, r.relError, r.pass]) }, null, 0)); }
    else if (cmd === 'eval') console.log(await page.evaluate(arg));
  }
  await ctx.close();
  await server.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
