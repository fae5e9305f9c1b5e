/**
 * Backpropagation on a circuit of scalar gates: the lecture's picture before any matrix appears.
 *
 * A circuit is a list of gates in the order the forward pass computes them. Every gate has a forward rule and a
 * local backward rule, written by hand beside each other:
 *
 *   add   out = a + b        da = dout,          db = dout            (distributes the gradient)
 *   mul   out = a * b        da = dout * b,      db = dout * a        (swaps the inputs)
 *   max   out = max(a, b)    da = dout [a >= b], db = dout [a < b]    (routes it to the winner)
 *
 * The backward pass starts from d out / d out = 1 at the last gate and walks the gates in reverse; where a wire
 * feeds several gates, the gradients that come back along each path are added (+=), which is the chain rule's
 * sum over paths. Plain numbers, no tensors: each wire carries one scalar. docs/backprop.md draws the course's two
 * examples (COURSE_CIRCUITS) with every wire's value and gradient.
 */

/** The three gates of the lecture. */
export type GateOp = 'add' | 'mul' | 'max';

/** One gate: `out = op(a, b)`, where a and b name inputs of the circuit or outputs of earlier gates. */
export interface Gate {
  op: GateOp;
  a: string;
  b: string;
  out: string;
}

/** A circuit: its inputs with their values, and its gates in forward order; the last gate's output is f. */
export interface Circuit {
  /** Shown in figures, e.g. 'f = (x + y) z'. */
  name: string;
  inputs: Record<string, number>;
  gates: Gate[];
}

/** Every wire's value after the forward pass, and d f / d wire after the backward pass, keyed by wire name. */
export interface CircuitPass {
  value: Record<string, number>;
  grad: Record<string, number>;
  /** The name of the output wire (the last gate's). */
  output: string;
}

/** One gate's forward rule. */
export function gateForward(op: GateOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'mul':
      return a * b;
    case 'max':
      return Math.max(a, b);
  }
}

/**
 * One gate's backward rule: the gradients of its two inputs from the gradient of its output.
 * A tie in max (a == b) routes the gradient to a, one valid subgradient.
 */
export function gateBackward(op: GateOp, a: number, b: number, dout: number): { da: number; db: number } {
  switch (op) {
    case 'add':
      return { da: dout, db: dout };
    case 'mul':
      return { da: dout * b, db: dout * a };
    case 'max':
      return a >= b ? { da: dout, db: 0 } : { da: 0, db: dout };
  }
}

/** Checks that every gate reads wires that exist by then and writes a new one; throws naming the gate. */
function checkCircuit(c: Circuit): void {
  if (c.gates.length === 0) throw new Error(`circuit '${c.name}': gates must hold at least one gate, got none`);
  const known = new Set(Object.keys(c.inputs));
  for (const [name, v] of Object.entries(c.inputs)) {
    if (!Number.isFinite(v)) throw new Error(`circuit '${c.name}': input '${name}' must be a finite number, got ${v}`);
  }
  c.gates.forEach((g, i) => {
    for (const w of [g.a, g.b]) {
      if (!known.has(w)) throw new Error(`circuit '${c.name}': gate ${i} (${g.op}) reads '${w}', which no input or earlier gate makes`);
    }
    if (known.has(g.out)) throw new Error(`circuit '${c.name}': gate ${i} (${g.op}) writes '${g.out}', which already exists`);
    known.add(g.out);
  });
}

/** The forward pass: every wire's value, inputs first, then each gate in order. */
export function circuitForward(c: Circuit): Record<string, number> {
  checkCircuit(c);
  const value: Record<string, number> = { ...c.inputs };
  for (const g of c.gates) value[g.out] = gateForward(g.op, value[g.a], value[g.b]);
  return value;
}

/** Forward, then backward from d f / d f = 1: every wire's value and gradient. */
export function circuitBackward(c: Circuit): CircuitPass {
  const value = circuitForward(c);
  const output = c.gates[c.gates.length - 1].out;
  const grad: Record<string, number> = Object.fromEntries(Object.keys(value).map((w) => [w, 0]));
  grad[output] = 1;
  for (let i = c.gates.length - 1; i >= 0; i--) {
    const g = c.gates[i];
    const { da, db } = gateBackward(g.op, value[g.a], value[g.b], grad[g.out]);
    // += : a wire read by several gates (or twice by one) collects a gradient from each use.
    grad[g.a] += da;
    grad[g.b] += db;
  }
  return { value, grad, output };
}

/**
 * The lecture's two examples: (x + y) z at x = -2, y = 5, z = -4, and 2 (x y + max(z, w)) at x = 3, y = -4, z = 2,
 * w = -1, where the constant 2 is an input like any other (its gradient is computed, and ignored).
 */
export const COURSE_CIRCUITS: readonly Circuit[] = [
  {
    name: 'f = (x + y) z',
    inputs: { x: -2, y: 5, z: -4 },
    gates: [
      { op: 'add', a: 'x', b: 'y', out: 'q' },
      { op: 'mul', a: 'q', b: 'z', out: 'f' },
    ],
  },
  {
    name: 'f = 2 (x y + max(z, w))',
    inputs: { x: 3, y: -4, z: 2, w: -1, two: 2 },
    gates: [
      { op: 'mul', a: 'x', b: 'y', out: 'xy' },
      { op: 'max', a: 'z', b: 'w', out: 'm' },
      { op: 'add', a: 'xy', b: 'm', out: 's' },
      { op: 'mul', a: 's', b: 'two', out: 'f' },
    ],
  },
];
