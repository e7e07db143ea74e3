// The JavaScript baseline: a JsonLogic-subset compiler to nested closures, for exactly
// the operators the benchmark workload uses (and, or, ==, >, >=, <= with three
// operands, in over a literal list, some, var). Each rule is compiled once; evaluating
// it is plain closure calls over the context object. No eval, no new Function.
//
// Semantics follow json-logic-js for these operators on the workload's data: `==` is
// JavaScript's loose equality, comparisons are JavaScript's, `var` of a missing path is
// null, `some` of a non-array or empty array is false. The clauses all produce
// booleans, so `and`/`or` return booleans (json-logic-js returns the deciding operand;
// its truthiness is the same here).

/** Compiles one JsonLogic rule to a function of the data object. */
export function compileRule(rule) {
  if (rule === null || typeof rule !== "object") return constant(rule);
  if (Array.isArray(rule)) return constant(rule);
  const keys = Object.keys(rule);
  if (keys.length !== 1) throw new Error(`not a JsonLogic operation: ${JSON.stringify(rule)}`);
  const op = keys[0];
  const args = Array.isArray(rule[op]) ? rule[op] : [rule[op]];
  const compiler = OPERATORS[op];
  if (!compiler) throw new Error(`operator "${op}" is not in the JavaScript baseline`);
  return compiler(args);
}

function constant(value) {
  return () => value;
}

/** Reads a dotted path; one closure shape per depth so each stays monomorphic-fast. */
function variable(path) {
  const keys = String(path).split(".");
  if (keys.length === 1) {
    const [a] = keys;
    return (d) => (d == null ? null : (d[a] ?? null));
  }
  if (keys.length === 2) {
    const [a, b] = keys;
    return (d) => {
      const x = d == null ? undefined : d[a];
      return x == null ? null : (x[b] ?? null);
    };
  }
  if (keys.length === 3) {
    const [a, b, c] = keys;
    return (d) => {
      const x = d == null ? undefined : d[a];
      const y = x == null ? undefined : x[b];
      return y == null ? null : (y[c] ?? null);
    };
  }
  return (d) => {
    let v = d;
    for (const key of keys) {
      if (v == null) return null;
      v = v[key];
    }
    return v ?? null;
  };
}

function all(fs) {
  if (fs.length === 2) {
    const [a, b] = fs;
    return (d) => !!a(d) && !!b(d);
  }
  if (fs.length === 3) {
    const [a, b, c] = fs;
    return (d) => !!a(d) && !!b(d) && !!c(d);
  }
  if (fs.length === 4) {
    const [a, b, c, e] = fs;
    return (d) => !!a(d) && !!b(d) && !!c(d) && !!e(d);
  }
  return (d) => {
    for (let i = 0; i < fs.length; i++) if (!fs[i](d)) return false;
    return true;
  };
}

function any(fs) {
  if (fs.length === 2) {
    const [a, b] = fs;
    return (d) => !!a(d) || !!b(d);
  }
  return (d) => {
    for (let i = 0; i < fs.length; i++) if (fs[i](d)) return true;
    return false;
  };
}

/** A literal right operand is read once, at compile time. */
function literal(arg) {
  return arg === null || typeof arg !== "object" ? { value: arg } : null;
}

const OPERATORS = {
  var: (args) => variable(args[0]),
  and: (args) => all(args.map(compileRule)),
  or: (args) => any(args.map(compileRule)),
  "==": ([left, right]) => {
    const a = compileRule(left);
    const k = literal(right);
    if (k) return (d) => a(d) == k.value;
    const b = compileRule(right);
    return (d) => a(d) == b(d);
  },
  ">": ([left, right]) => {
    const a = compileRule(left);
    const k = literal(right);
    if (k) return (d) => a(d) > k.value;
    const b = compileRule(right);
    return (d) => a(d) > b(d);
  },
  ">=": ([left, right]) => {
    const a = compileRule(left);
    const k = literal(right);
    if (k) return (d) => a(d) >= k.value;
    const b = compileRule(right);
    return (d) => a(d) >= b(d);
  },
  "<=": (args) => {
    if (args.length === 2) {
      const [a, b] = args.map(compileRule);
      return (d) => a(d) <= b(d);
    }
    const lo = literal(args[0]);
    const hi = literal(args[2]);
    const m = compileRule(args[1]);
    if (lo && hi) {
      return (d) => {
        const x = m(d);
        return lo.value <= x && x <= hi.value;
      };
    }
    const [a, c] = [compileRule(args[0]), compileRule(args[2])];
    return (d) => {
      const x = m(d);
      return a(d) <= x && x <= c(d);
    };
  },
  in: ([needle, haystack]) => {
    const a = compileRule(needle);
    if (!Array.isArray(haystack)) throw new Error("the baseline supports `in` over a literal list only");
    const list = haystack.slice();
    return (d) => list.includes(a(d));
  },
  some: ([items, test]) => {
    const list = compileRule(items);
    const body = compileRule(test);
    return (d) => {
      const xs = list(d);
      if (!Array.isArray(xs)) return false;
      for (let i = 0; i < xs.length; i++) if (body(xs[i])) return true;
      return false;
    };
  },
};

/**
 * The bundle's campaigns as compiled rules, and the two ways a JavaScript host would
 * decide with them: per placement, the highest priority campaign whose condition holds
 * (ties: bundle order, as perso does).
 */
export function compileBundle(bundle) {
  const rules = bundle.campaigns.map((c, index) => ({ id: c.id, index, priority: c.priority ?? 0, placement: c.placement, test: compileRule(c.condition) }));
  const placements = bundle.placements.map((p) =>
    rules.filter((r) => r.placement === p.id).sort((a, b) => b.priority - a.priority || a.index - b.index),
  );
  // Priority order per placement, as indices into `rules`, for the every-rule decision.
  const order = placements.map((list) => Int32Array.from(list.map((r) => r.index)));
  const tests = rules.map((r) => r.test);
  const ids = rules.map((r) => r.id);
  const matched = new Uint8Array(rules.length);

  return {
    rules: rules.length,
    placementIds: bundle.placements.map((p) => p.id),
    /** The classic bar: evaluate every rule, then pick each placement's winner. */
    everyRule(data) {
      for (let i = 0; i < tests.length; i++) matched[i] = tests[i](data) ? 1 : 0;
      const winners = new Array(order.length);
      for (let p = 0; p < order.length; p++) {
        const list = order[p];
        winners[p] = null;
        for (let j = 0; j < list.length; j++) {
          if (matched[list[j]]) {
            winners[p] = ids[list[j]];
            break;
          }
        }
      }
      return winners;
    },
    /** The same early exit as perso: per placement, stop at the first eligible. */
    earlyExit(data) {
      const winners = new Array(placements.length);
      for (let p = 0; p < placements.length; p++) {
        const list = placements[p];
        winners[p] = null;
        for (let j = 0; j < list.length; j++) {
          if (list[j].test(data)) {
            winners[p] = list[j].id;
            break;
          }
        }
      }
      return winners;
    },
    /** Rules evaluated by the early exit on this data (for the report). */
    earlyExitEvaluations(data) {
      let count = 0;
      for (const list of placements) {
        for (const rule of list) {
          count++;
          if (rule.test(data)) break;
        }
      }
      return count;
    },
    /** How many single rules hold on this data. */
    matchCount(data) {
      let count = 0;
      for (const test of tests) if (test(data)) count++;
      return count;
    },
  };
}

/**
 * What the closures read: the host's context plus the one fact the workload takes
 * from the visitor state, `session.time_on_site_s` (the engine derives it the same way).
 */
export function closureData(context, state, nowMs) {
  return {
    page: context.page,
    cart: context.cart,
    customer: context.customer,
    time: context.time,
    session: { time_on_site_s: Math.floor((nowMs - state.session.start_ms) / 1000) },
  };
}

/**
 * A function copying from a context only the paths in `references` (as
 * `engine.references()` lists them), for hosts that send the engine no more than the
 * bundle reads. Paths the engine derives itself (`session.*`, `visitor.*`) are skipped.
 */
export function projection(references) {
  const paths = references.filter((r) => !r.startsWith("session.") && !r.startsWith("visitor.")).map((r) => r.split("."));
  return (context) => {
    const out = {};
    for (const keys of paths) {
      let from = context;
      for (const key of keys) {
        from = from?.[key];
        if (from === undefined) break;
      }
      if (from === undefined) continue;
      let to = out;
      for (let i = 0; i < keys.length - 1; i++) to = to[keys[i]] ??= {};
      to[keys[keys.length - 1]] = from;
    }
    return out;
  };
}
