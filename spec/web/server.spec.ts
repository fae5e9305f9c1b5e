/**
 * The page's server (web/server.ts) on a request Node refuses before the handler sees it: an address over the
 * 16 KB header limit gets a readable page (HTTP 431 with a body that says why and links to a fresh start), not
 * the empty answer a browser shows as a blank page.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../../web/server';

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

describe('the page server', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-server-'));
    server = await startServer({ dataDir });
  }, 60000);
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers an address longer than 16 KB with a page that says why', async () => {
    const r = await get(`${server.url}?model=convnet&lr=${'1'.repeat(20000)}`);
    expect(r.status).toBe(431);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('longer than the 16 KB this server reads');
    expect(r.body).toContain('<a href="/">');
  });

  it('still serves the page after it', async () => {
    const r = await get(`${server.url}?lr=1e-3`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Watch a network learn CIFAR-10');
  });
});
