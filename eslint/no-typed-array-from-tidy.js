// ESLint rule: no typed array returned from tf.tidy. tidy looks for tensors in whatever its function returns and
// walks a returned typed array element by element: tf.tidy(() => t.dataSync()) on 4 M floats took seconds where the
// read itself takes a fraction of one (docs/performance.md). Return the tensor and read it after tidy instead.
const READS = new Set(['dataSync']);
const TYPED = /^(Float32|Float64|Int8|Int16|Int32|Uint8|Uint8Clamped|Uint16|Uint32|BigInt64|BigUint64)Array$/;

/** The expression under any `as T`, `<T>`, `!` or parentheses. */
function unwrap(node) {
  while (node && (node.type === 'TSAsExpression' || node.type === 'TSTypeAssertion' || node.type === 'TSNonNullExpression' || node.type === 'TSSatisfiesExpression')) {
    node = node.expression;
  }
  return node;
}

/** Whether an expression evaluates to a typed array by its shape alone: x.dataSync(), new Float32Array(...), Float32Array.from(...). */
function isTypedArray(node) {
  node = unwrap(node);
  if (!node) return false;
  if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && !node.callee.computed) {
    const name = node.callee.property.name;
    if (READS.has(name)) return true;
    if ((name === 'from' || name === 'of') && node.callee.object.type === 'Identifier' && TYPED.test(node.callee.object.name)) return true;
  }
  if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && TYPED.test(node.callee.name)) return true;
  if (node.type === 'ConditionalExpression') return isTypedArray(node.consequent) || isTypedArray(node.alternate);
  return false;
}

/** The expressions a function returns: its expression body, or the arguments of its own return statements. */
function returned(fn) {
  if (fn.body.type !== 'BlockStatement') return [fn.body];
  const out = [];
  const visit = (node) => {
    if (!node || typeof node.type !== 'string') return;
    if (node !== fn && /Function/.test(node.type)) return; // a nested function's returns are its own
    if (node.type === 'ReturnStatement' && node.argument) out.push(node.argument);
    for (const key of Object.keys(node)) {
      if (key === 'parent') continue;
      const child = node[key];
      if (Array.isArray(child)) child.forEach(visit);
      else if (child && typeof child.type === 'string') visit(child);
    }
  };
  visit(fn.body);
  return out;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'disallow returning a typed array from tf.tidy' },
    messages: {
      typedArray:
        'tf.tidy walks a returned typed array element by element looking for tensors (seconds for a large one): return the tensor from tf.tidy and read it with dataSync() afterwards.',
    },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(node) {
        const callee = node.callee;
        const isTidy =
          (callee.type === 'MemberExpression' && !callee.computed && callee.property.name === 'tidy') || (callee.type === 'Identifier' && callee.name === 'tidy');
        if (!isTidy) return;
        const fn = node.arguments.find((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression');
        if (!fn) return;
        for (const r of returned(fn)) if (isTypedArray(r)) context.report({ node: r, messageId: 'typedArray' });
      },
    };
  },
};
