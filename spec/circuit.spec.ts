/**
 * The circuit of gates that docs/backprop.md draws: the lecture's numbers, every input's gradient against a
 * centred difference of the forward pass, fan-out adding gradients, and circuits that are refused.
 */
import { COURSE_CIRCUITS, Circuit, circuitBackward, circuitForward, GateOp } from '../src/circuit';
import { relError } from '../src/gradcheck';
import { Rng } from '../src/random';

const H = 1e-6;
const BOUND = 1e-7;

/** d f / d input by centred differences of the forward pass, for every input of the circuit. */
function numericInputGrads(c: Circuit): Record<string, number> {
  const out = c.gates[c.gates.length - 1].out;
  const f = (inputs: Record<string, number>) => circuitForward({ ...c, inputs })[out];
  return Object.fromEntries(
    Object.keys(c.inputs).map((k) => [k, (f({ ...c.inputs, [k]: c.inputs[k] + H }) - f({ ...c.inputs, [k]: c.inputs[k] - H })) / (2 * H)]),
  );
}

function expectMatchesNumeric(c: Circuit): void {
  const { grad } = circuitBackward(c);
  const numeric = numericInputGrads(c);
  const names = Object.keys(c.inputs);
  const err = relError(
    names.map((k) => grad[k]),
    names.map((k) => numeric[k]),
  );
  if (!(err.norm < BOUND)) {
    throw new Error(`${c.name}: backward [${names.map((k) => `${k} ${grad[k]}`)}] vs numeric [${names.map((k) => `${k} ${numeric[k].toFixed(6)}`)}], relative error ${err.norm} > ${BOUND}`);
  }
}

describe('the course circuits', () => {
  it('(x + y) z at (-2, 5, -4): the lecture values', () => {
    const { value, grad } = circuitBackward(COURSE_CIRCUITS[0]);
    expect({ q: value.q, f: value.f }).toEqual({ q: 3, f: -12 });
    expect({ x: grad.x, y: grad.y, z: grad.z, q: grad.q }).toEqual({ x: -4, y: -4, z: 3, q: -4 });
  });

  it('2 (x y + max(z, w)) at (3, -4, 2, -1): add distributes, mul swaps, max routes', () => {
    const { value, grad } = circuitBackward(COURSE_CIRCUITS[1]);
    expect({ xy: value.xy, m: value.m, s: value.s, f: value.f }).toEqual({ xy: -12, m: 2, s: -10, f: -20 });
    expect({ s: grad.s, xy: grad.xy, m: grad.m }).toEqual({ s: 2, xy: 2, m: 2 });
    expect({ x: grad.x, y: grad.y, z: grad.z, w: grad.w }).toEqual({ x: -8, y: 6, z: 2, w: 0 });
  });

  it.each(COURSE_CIRCUITS.map((c) => [c.name, c] as const))('%s: every input gradient matches a centred difference', (_name, c) => {
    expectMatchesNumeric(c);
  });
});

describe('circuitBackward', () => {
  it('adds the gradients of a wire used twice: x * x + x at 3 gives 2x + 1 = 7', () => {
    const c: Circuit = {
      name: 'x x + x',
      inputs: { x: 3 },
      gates: [
        { op: 'mul', a: 'x', b: 'x', out: 'xx' },
        { op: 'add', a: 'xx', b: 'x', out: 'f' },
      ],
    };
    expect(circuitBackward(c).grad.x).toBe(7);
    expectMatchesNumeric(c);
  });

  it('matches centred differences on seeded random circuits of 12 gates with fan-out', () => {
    const rng = new Rng(7);
    const ops: GateOp[] = ['add', 'mul', 'max'];
    let checked = 0;
    for (let t = 0; t < 20; t++) {
      const inputs: Record<string, number> = {};
      for (let i = 0; i < 4; i++) inputs[`i${i}`] = rng.normal();
      const wires = Object.keys(inputs);
      const gates = Array.from({ length: 12 }, (_, g) => {
        const op = ops[rng.int(3)];
        const a = rng.int(wires.length);
        // max(a, a) has a kink along its whole input: a max gate reads two different wires.
        const b = op === 'max' ? (a + 1 + rng.int(wires.length - 1)) % wires.length : rng.int(wires.length);
        const gate = { op, a: wires[a], b: wires[b], out: `g${g}` };
        wires.push(gate.out);
        return gate;
      });
      const c = { name: `random ${t}`, inputs, gates };
      // A max gate whose inputs are within the step of each other has no derivative there: skip such draws.
      const v = circuitForward(c);
      if (gates.some((g) => g.op === 'max' && Math.abs(v[g.a] - v[g.b]) < 1e-3)) continue;
      expectMatchesNumeric(c);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('refuses a gate that reads a wire no earlier gate makes, or writes one twice', () => {
    expect(() => circuitForward({ name: 'bad', inputs: { x: 1 }, gates: [{ op: 'add', a: 'x', b: 'y', out: 'f' }] })).toThrow(/reads 'y'/);
    expect(() => circuitForward({ name: 'bad', inputs: { x: 1 }, gates: [{ op: 'add', a: 'x', b: 'x', out: 'x' }] })).toThrow(/writes 'x'/);
    expect(() => circuitForward({ name: 'bad', inputs: { x: NaN }, gates: [{ op: 'add', a: 'x', b: 'x', out: 'f' }] })).toThrow(/finite/);
  });
});
