import { Rng } from '../src/random';

describe('Rng', () => {
  it('the same seed gives the same stream; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 10 }, () => a.nextUint32());
    const sb = Array.from({ length: 10 }, () => b.nextUint32());
    const sc = Array.from({ length: 10 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('uniforms lie in [0, 1) with mean near 1/2; normals have mean 0 and variance 1', () => {
    const r = new Rng(1);
    const u = r.uniformArray(100000);
    let mean = 0;
    for (const v of u) {
      expect(v >= 0 && v < 1).toBe(true);
      mean += v / u.length;
    }
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const z = r.normalArray(100000);
    const m = z.reduce((s, v) => s + v, 0) / z.length;
    const v2 = z.reduce((s, v) => s + (v - m) ** 2, 0) / z.length;
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v2 - 1)).toBeLessThan(0.02);
  });

  it('permutation holds every index once; choiceWithoutReplacement has no repeats', () => {
    const r = new Rng(7);
    const p = Array.from(r.permutation(1000)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const c = r.choiceWithoutReplacement(50, 50);
    expect(new Set(c).size).toBe(50);
    expect(() => r.choiceWithoutReplacement(5, 6)).toThrow(/k=6 exceeds n=5/);
  });

  it('int covers its range evenly', () => {
    const r = new Rng(3);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 50000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(300);
    expect(() => r.int(0)).toThrow(/positive integer/);
  });

  it('fork gives an independent but reproducible stream', () => {
    const a = new Rng(5).fork();
    const b = new Rng(5).fork();
    expect(a.nextUint32()).toBe(b.nextUint32());
  });
});
