import { Writable } from 'node:stream';
import { createProgressBar } from '../runtime/progress';

/** A writable stream that records what is written, posing as a terminal or not. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  w.isTTY = isTTY;
  w.columns = 100;
  return { stream: w, written: () => text };
}

describe('createProgressBar', () => {
  it('off a terminal prints a plain line per tenth of the work, no escape codes; log lines reach their writer', () => {
    const { stream, written } = fakeStream(false);
    const bar = createProgressBar(100, { stream, label: 'train', fields: ['loss'] });
    const lines: string[] = [];
    for (let i = 1; i <= 100; i++) bar.update(i, { loss: (2.3 - i / 100).toFixed(2) });
    bar.log('(Iteration 1 / 10) loss: 2.302585', (l) => lines.push(l));
    bar.stop();
    expect(bar.active).toBe(false);
    const out = written().trim().split('\n');
    expect(out).toHaveLength(10);
    expect(out[0]).toMatch(/^train 10% 10\/100 \d+s eta \d+s \| loss: 2\.20$/);
    expect(out[9]).toMatch(/^train 100% 100\/100 /);
    expect(written()).not.toContain('\x1b');
    expect(lines).toEqual(['(Iteration 1 / 10) loss: 2.302585']);
  });

  it('is silent when disabled, even on a terminal', () => {
    const { stream, written } = fakeStream(true);
    const bar = createProgressBar(10, { stream, enabled: false });
    bar.update(3);
    bar.stop();
    expect(written()).toBe('');
  });

  it('draws on a terminal, shows its fields, prints log lines above itself, and stops once', () => {
    const { stream, written } = fakeStream(true);
    const bar = createProgressBar(4, { stream, label: 'train', fields: ['loss'] });
    expect(bar.active).toBe(true);
    bar.update(4, { loss: '0.1234' });
    const lines: string[] = [];
    bar.log('(Epoch 1 / 1) train acc: 1.000000; val_acc: 1.000000', (l) => lines.push(l));
    bar.stop();
    bar.stop();
    expect(bar.active).toBe(false);
    expect(lines).toHaveLength(1);
    expect(written()).toContain('train [');
    expect(written()).toContain('100% 4/4');
    expect(written()).toContain('loss: 0.1234');
    expect(written()).toContain('\r\x1b[2K');
  });

  it('refuses a total that is not a positive integer', () => {
    const { stream } = fakeStream(true);
    expect(() => createProgressBar(0, { stream })).toThrow('createProgressBar: total must be a positive integer, got 0');
  });
});
