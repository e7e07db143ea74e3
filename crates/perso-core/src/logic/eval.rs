//! Evaluates nodes of a [`Logic`] arena against data, following json-logic-js
//! operator by operator. Values are borrowed from the data or the arena wherever
//! possible ([`Val`]), so the common conditions (comparisons, `in`, `some` over the
//! cart) allocate nothing.
//!
//! Every evaluation runs on a [`Budget`]: each node evaluated and each list item or
//! 16 bytes of text built costs one unit. When the budget runs out, evaluation stops
//! at once (every node answers null / false) and the caller sees
//! [`Budget::exhausted`]: a costly condition fails closed instead of freezing the page.

use super::hash::pick_bucket;
use super::ir::{ArithOp, CompareOp, IterKind, Logic, Node, NodeId, VarPath};
use super::value::{compare, loose_equals, parse_float, strict_equals, to_js_string, to_number, Datum, Val, NULL};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;
use core::cmp::Ordering;

/// Units of work left for one evaluation (see the module docs).
#[derive(Debug)]
pub struct Budget {
    left: Cell<i64>,
}

impl Budget {
    pub fn new(units: u64) -> Budget {
        Budget { left: Cell::new(i64::try_from(units).unwrap_or(i64::MAX)) }
    }

    /// Spends `units`; false once the budget is gone.
    #[inline]
    pub fn spend(&self, units: u64) -> bool {
        let left = self.left.get().saturating_sub(i64::try_from(units).unwrap_or(i64::MAX));
        self.left.set(left);
        left >= 0
    }

    pub fn exhausted(&self) -> bool {
        self.left.get() < 0
    }

    pub fn remaining(&self) -> u64 {
        u64::try_from(self.left.get()).unwrap_or(0)
    }

    /// Starts over with `units` (one budget per condition).
    pub fn reset(&self, units: u64) {
        self.left.set(i64::try_from(units).unwrap_or(i64::MAX));
    }
}

/// Units charged for building `bytes` of text.
pub fn text_units(bytes: usize) -> u64 {
    (bytes / 16) as u64
}

/// What a condition can see while it runs.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub logic: &'a Logic,
    /// Context slots (bundle conditions), indexed by [`VarPath::Slot`].
    pub slots: &'a [Datum<'a>],
    /// Facts derived from the visitor state, indexed by [`VarPath::Derived`].
    pub derived: &'a [Datum<'a>],
    /// The data root (`apply`), read by [`VarPath::Keys`] outside iterations.
    pub root: &'a Datum<'a>,
    /// The current item inside `map`, `filter`, `all`, `none`, `some`, `reduce`.
    pub scope: &'a Datum<'a>,
    pub hooks: &'a dyn Hooks,
    pub budget: &'a Budget,
}

/// Facts outside the data: segment results and flagd's bucketing identity.
pub trait Hooks {
    fn segment(&self, index: u16) -> bool;
    /// `$flagd.flagKey + targetingKey`, the implicit `fractional` key; `None` when
    /// there is no targeting key.
    fn implicit_bucket_key(&self, env: &Env<'_>) -> Option<String>;
}

/// Hooks for plain JsonLogic data: flagd reads `$flagd.flagKey` and `targetingKey`
/// from the data itself.
pub struct DataHooks;

impl Hooks for DataHooks {
    fn segment(&self, _index: u16) -> bool {
        false
    }

    fn implicit_bucket_key(&self, env: &Env<'_>) -> Option<String> {
        let targeting = env.root.get("targetingKey")?.as_str().filter(|k| !k.is_empty())?;
        let flag = env.root.get("$flagd").and_then(|f| f.get("flagKey")).and_then(Datum::as_str).unwrap_or("");
        let mut key = String::with_capacity(flag.len().saturating_add(targeting.len()));
        key.push_str(flag);
        key.push_str(targeting);
        Some(key)
    }
}

fn owned<'a>(d: Datum<'a>) -> Val<'a> {
    Cow::Owned(d)
}

fn boolean<'a>(b: bool) -> Val<'a> {
    Cow::Owned(Datum::Bool(b))
}

fn walk<'a>(mut data: &'a Datum<'a>, keys: &[Box<str>]) -> Option<&'a Datum<'a>> {
    for key in keys {
        if data.is_null() {
            return None;
        }
        data = data.get(key)?;
    }
    Some(data)
}

impl<'a> Env<'a> {
    fn with_scope<'b>(&self, scope: &'b Datum<'b>) -> Env<'b>
    where
        'a: 'b,
    {
        Env {
            logic: self.logic,
            slots: self.slots,
            derived: self.derived,
            root: self.root,
            scope,
            hooks: self.hooks,
            budget: self.budget,
        }
    }

    /// Whether the node is truthy. Boolean operators answer directly, without
    /// building a value: this is the hot path of every decision.
    pub fn truthy(&self, id: NodeId) -> bool {
        if !self.budget.spend(1) {
            return false;
        }
        match self.logic.node(id) {
            Node::And(items) => self.logic.args(*items).iter().all(|e| self.truthy(*e)),
            Node::Or(items) => self.logic.args(*items).iter().any(|e| self.truthy(*e)),
            Node::Not(inner) => !self.truthy(*inner),
            Node::Truthy(inner) => self.truthy(*inner),
            Node::Segment(index) => self.hooks.segment(*index),
            Node::Equals { strict, negate, left, right } => self.equals(*strict, *left, *right) != *negate,
            Node::Compare { op, args } => self.compare_chain(*op, self.logic.args(*args)),
            Node::InSet { needle, set } => {
                let needle = self.eval(*needle);
                match self.logic.lit(*set) {
                    Datum::List(set) => set.iter().any(|candidate| strict_equals(&needle, candidate)),
                    _ => false,
                }
            }
            Node::Iterate { kind: kind @ (IterKind::All | IterKind::Some | IterKind::None), list, body } => {
                self.test_items(*kind, &self.eval(*list), *body)
            }
            Node::Lit(d) => self.logic.lit(*d).truthy(),
            Node::NumCmp { path, op, k, general } => match self.lookup(path) {
                Some(Datum::Num(x)) => holds(*op, x.partial_cmp(k)),
                _ => self.truthy(*general),
            },
            Node::Between { path, lo, hi, inclusive, general } => match self.lookup(path) {
                Some(Datum::Num(x)) if *inclusive => *lo <= *x && *x <= *hi,
                Some(Datum::Num(x)) => *lo < *x && *x < *hi,
                _ => self.truthy(*general),
            },
            Node::StrEq { path, k, negate, general } => match (self.lookup(path), self.logic.lit(*k)) {
                (Some(Datum::Str(s)), Datum::Str(k)) => (**s == **k) != *negate,
                _ => self.truthy(*general),
            },
            Node::InStrSet { path, set, general } => match (self.lookup(path), self.logic.lit(*set)) {
                (Some(Datum::Str(s)), Datum::List(set)) => set.iter().any(|k| matches!(k, Datum::Str(k) if **k == **s)),
                // null (absent) is in no list of strings
                (None, _) => false,
                _ => self.truthy(*general),
            },
            Node::SomeFieldEq { path, key, k, general } => match (self.lookup(path), self.logic.lit(*k)) {
                (Some(Datum::List(items)), Datum::Str(k)) => {
                    for item in items {
                        match item.get(key) {
                            Some(Datum::Str(s)) if **s == **k => return true,
                            Some(Datum::Str(_) | Datum::Null) | None => {}
                            // A field of another type: the generic rules decide.
                            Some(_) => return self.truthy(*general),
                        }
                    }
                    false
                }
                _ => self.truthy(*general),
            },
            _ => self.eval_node(id).truthy(),
        }
    }

    pub fn eval(&self, id: NodeId) -> Val<'a> {
        if !self.budget.spend(1) {
            return Cow::Borrowed(&NULL);
        }
        self.eval_node(id)
    }

    fn eval_node(&self, id: NodeId) -> Val<'a> {
        let logic = self.logic;
        match logic.node(id) {
            Node::Lit(d) => Cow::Borrowed(logic.lit(*d)),
            Node::Undefined => Cow::Borrowed(&NULL),
            Node::Array(items) => {
                let items = logic.args(*items);
                self.budget.spend(items.len() as u64);
                owned(Datum::List(items.iter().map(|e| self.eval(*e).into_owned()).collect()))
            }
            Node::Var { path, default } => {
                let found = match path {
                    VarPath::Slot(index) => self.slots.get(usize::from(*index)).filter(|d| !d.is_null()),
                    VarPath::Derived(index) => self.derived.get(usize::from(*index)).filter(|d| !d.is_null()),
                    VarPath::Whole { in_scope } => Some(if *in_scope { self.scope } else { self.root }),
                    VarPath::Keys { keys, in_scope } => walk(if *in_scope { self.scope } else { self.root }, keys),
                };
                match (found, default) {
                    (Some(d), _) => Cow::Borrowed(d),
                    (None, Some(default)) => self.eval(*default),
                    (None, None) => Cow::Borrowed(&NULL),
                }
            }
            Node::VarComputed { path, default, in_scope } => {
                let base = if *in_scope { self.scope } else { self.root };
                let path = self.eval(*path);
                let found = match &*path {
                    Datum::Null => Some(base),
                    Datum::Str(s) if s.is_empty() => Some(base),
                    other => {
                        let text = to_js_string(other);
                        let keys: Vec<Box<str>> = text.split('.').map(Box::from).collect();
                        walk(base, &keys)
                    }
                };
                match (found, default) {
                    (Some(d), _) => Cow::Borrowed(d),
                    (None, Some(default)) => self.eval(*default),
                    (None, None) => Cow::Borrowed(&NULL),
                }
            }
            Node::Missing { keys, in_scope } => {
                let evaluated: Vec<Val<'a>> = logic.args(*keys).iter().map(|k| self.eval(*k)).collect();
                let names: Vec<&Datum<'a>> = match evaluated.first().map(|v| &**v) {
                    Some(Datum::List(list)) => list.iter().collect(),
                    _ => evaluated.iter().map(|v| &**v).collect(),
                };
                owned(Datum::List(self.missing_keys(&names, *in_scope)))
            }
            Node::MissingSome { need, keys, in_scope } => {
                let need = to_number(&self.eval(*need));
                let keys = self.eval(*keys);
                let names: Vec<&Datum<'a>> = match &*keys {
                    Datum::List(list) => list.iter().collect(),
                    other => alloc::vec![other],
                };
                let missing = self.missing_keys(&names, *in_scope);
                // Each missing key is one of `names`: the difference is the keys present.
                if names.len().saturating_sub(missing.len()) as f64 >= need {
                    owned(Datum::List(Vec::new()))
                } else {
                    owned(Datum::List(missing))
                }
            }
            Node::MissingPaths { need, paths } => {
                let missing: Vec<Datum<'a>> = paths
                    .iter()
                    .filter(|(_, path)| match self.lookup_any(path) {
                        None => true,
                        Some(Datum::Str(s)) => s.is_empty(),
                        Some(_) => false,
                    })
                    .map(|(name, _)| logic.lit(*name).clone())
                    .collect();
                match need {
                    Some(need) if paths.len().saturating_sub(missing.len()) as f64 >= to_number(&self.eval(*need)) => {
                        owned(Datum::List(Vec::new()))
                    }
                    _ => owned(Datum::List(missing)),
                }
            }
            Node::If(items) => {
                // (condition, branch) pairs, then the else branch if the count is odd.
                let mut pairs = logic.args(*items).chunks_exact(2);
                for pair in pairs.by_ref() {
                    if let [condition, then] = pair {
                        if self.truthy(*condition) {
                            return self.eval(*then);
                        }
                    }
                }
                match pairs.remainder().first() {
                    Some(otherwise) => self.eval(*otherwise),
                    None => Cow::Borrowed(&NULL),
                }
            }
            Node::And(items) => {
                let mut last = Cow::Borrowed(&NULL);
                for item in logic.args(*items) {
                    last = self.eval(*item);
                    if !last.truthy() {
                        return last;
                    }
                }
                last
            }
            Node::Or(items) => {
                let mut last = Cow::Borrowed(&NULL);
                for item in logic.args(*items) {
                    last = self.eval(*item);
                    if last.truthy() {
                        return last;
                    }
                }
                last
            }
            Node::Not(inner) => boolean(!self.truthy(*inner)),
            Node::Truthy(inner) => boolean(self.truthy(*inner)),
            Node::Equals { strict, negate, left, right } => boolean(self.equals(*strict, *left, *right) != *negate),
            Node::Compare { op, args } => boolean(self.compare_chain(*op, logic.args(*args))),
            Node::InSet { .. } => boolean(self.truthy(id)),
            Node::In { needle, haystack } => {
                let (needle, haystack) = (self.eval(*needle), self.eval(*haystack));
                boolean(match &*haystack {
                    // json-logic-js: `if (!b || ...) return false`, and "" is falsy.
                    Datum::Str(text) => {
                        self.budget.spend(text_units(text.len()));
                        !text.is_empty() && text.contains(&*to_js_string(&needle))
                    }
                    Datum::List(items) => {
                        self.budget.spend(items.len() as u64);
                        items.iter().any(|item| strict_equals(&needle, item))
                    }
                    _ => false,
                })
            }
            Node::Cat(items) => {
                let mut text = String::new();
                // json-logic-js joins its operands: null becomes "", not "null".
                for item in logic.args(*items) {
                    let value = self.eval(*item);
                    if !value.is_null() {
                        text.push_str(&to_js_string(&value));
                    }
                    if !self.budget.spend(text_units(text.len())) {
                        return Cow::Borrowed(&NULL);
                    }
                }
                owned(Datum::Str(Cow::Owned(text)))
            }
            Node::Substr(items) => {
                let text = self.substr(logic.args(*items));
                self.budget.spend(text_units(text.len()));
                owned(Datum::Str(Cow::Owned(text)))
            }
            Node::Arith { op, args } => self.arith(*op, logic.args(*args)),
            Node::Merge(items) => {
                let mut merged = Vec::new();
                for item in logic.args(*items) {
                    match self.eval(*item).into_owned() {
                        Datum::List(list) => {
                            if !self.budget.spend(list.len() as u64) {
                                return Cow::Borrowed(&NULL);
                            }
                            merged.extend(list)
                        }
                        other => merged.push(other),
                    }
                }
                owned(Datum::List(merged))
            }
            Node::Iterate { kind, list, body } => self.iterate(*kind, self.eval(*list), *body),
            Node::Reduce { list, body, initial } => {
                let mut accumulator = self.eval(*initial).into_owned().into_static();
                let list = self.eval(*list);
                let Datum::List(items) = &*list else { return owned(accumulator) };
                for item in items {
                    if self.budget.exhausted() {
                        return Cow::Borrowed(&NULL);
                    }
                    let scope = Datum::Map(alloc::vec![
                        (Cow::Borrowed("current"), item.clone()),
                        (Cow::Borrowed("accumulator"), accumulator),
                    ]);
                    let inner = self.with_scope(&scope);
                    accumulator = inner.eval(*body).into_owned().into_static();
                    self.budget.spend(size_units(&accumulator));
                }
                owned(accumulator)
            }
            Node::StartsWith(text, affix) | Node::EndsWith(text, affix) => {
                let starts = matches!(logic.node(id), Node::StartsWith(..));
                let (text, affix) = (self.eval(*text), self.eval(*affix));
                boolean(match (&*text, &*affix) {
                    (Datum::Str(t), Datum::Str(a)) => {
                        if starts {
                            t.starts_with(&**a)
                        } else {
                            t.ends_with(&**a)
                        }
                    }
                    _ => false,
                })
            }
            Node::Segment(index) => boolean(self.hooks.segment(*index)),
            Node::Fractional { key, buckets } => self.fractional(*key, logic.args(*buckets)),
            Node::SemVer(args) => {
                let values: Vec<Val<'a>> = logic.args(*args).iter().map(|a| self.eval(*a)).collect();
                let version = |d: &Datum<'_>| match d {
                    Datum::Str(s) => Some(s.to_string()),
                    Datum::Num(_) => Some(to_js_string(d).into_owned()),
                    _ => None,
                };
                let result = match values.as_slice() {
                    [a, op, b] => match (version(a), op.as_str(), version(b)) {
                        (Some(a), Some(op), Some(b)) => super::semver::compare(&a, op, &b),
                        _ => None,
                    },
                    _ => None,
                };
                result.map_or(Cow::Borrowed(&NULL), boolean)
            }
            Node::Log(inner) => self.eval(*inner),
            Node::NumCmp { .. }
            | Node::Between { .. }
            | Node::StrEq { .. }
            | Node::InStrSet { .. }
            | Node::SomeFieldEq { .. } => boolean(self.truthy(id)),
        }
    }

    /// A context value by resolved path; `None` when absent (null).
    fn lookup(&self, path: &VarPath) -> Option<&'a Datum<'a>> {
        let value = match path {
            VarPath::Slot(index) => self.slots.get(usize::from(*index)),
            VarPath::Derived(index) => self.derived.get(usize::from(*index)),
            _ => None,
        };
        value.filter(|d| !d.is_null())
    }

    fn lookup_any(&self, path: &VarPath) -> Option<&'a Datum<'a>> {
        match path {
            VarPath::Slot(_) | VarPath::Derived(_) => self.lookup(path),
            VarPath::Whole { in_scope } => Some(if *in_scope { self.scope } else { self.root }),
            VarPath::Keys { keys, in_scope } => {
                walk(if *in_scope { self.scope } else { self.root }, keys).filter(|d| !d.is_null())
            }
        }
    }

    fn equals(&self, strict: bool, left: NodeId, right: NodeId) -> bool {
        let (l, r) = (self.logic.node(left), self.logic.node(right));
        match (l, r) {
            (Node::Undefined, Node::Undefined) => true,
            // Data never holds `undefined`: only `null == undefined` holds.
            (Node::Undefined, _) => !strict && self.eval(right).is_null(),
            (_, Node::Undefined) => !strict && self.eval(left).is_null(),
            _ => {
                let (a, b) = (self.eval(left), self.eval(right));
                match (&a, &b) {
                    // Arrays and objects are equal only to themselves (identity).
                    (Cow::Borrowed(x), Cow::Borrowed(y))
                        if matches!(x, Datum::List(_) | Datum::Map(_)) && core::ptr::eq(*x, *y) =>
                    {
                        true
                    }
                    _ if strict => strict_equals(&a, &b),
                    _ => loose_equals(&a, &b),
                }
            }
        }
    }

    /// `all`, `some`, `none` over a list, without building the filtered list.
    fn test_items(&self, kind: IterKind, list: &Datum<'_>, body: NodeId) -> bool {
        match list {
            Datum::List(items) => self.test_slice(kind, items, body),
            _ => kind == IterKind::None,
        }
    }

    fn test_slice(&self, kind: IterKind, items: &[Datum<'_>], body: NodeId) -> bool {
        // Items may be computed (owned by `list`), so the body sees them through a
        // shorter-lived environment; only a bool comes out.
        let test = |item: &Datum<'_>| self.with_scope(item).truthy(body);
        match kind {
            IterKind::All => !items.is_empty() && items.iter().all(test),
            IterKind::None => !items.iter().any(test),
            _ => items.iter().any(test),
        }
    }

    fn missing_keys(&self, names: &[&Datum<'a>], in_scope: bool) -> Vec<Datum<'a>> {
        let base = if in_scope { self.scope } else { self.root };
        names
            .iter()
            .filter(|name| {
                let value = match name {
                    Datum::Str(s) if s.is_empty() => Some(base),
                    other => {
                        let text = to_js_string(other);
                        let keys: Vec<Box<str>> = text.split('.').map(Box::from).collect();
                        walk(base, &keys)
                    }
                };
                match value {
                    None | Some(Datum::Null) => true,
                    Some(Datum::Str(s)) => s.is_empty(),
                    Some(_) => false,
                }
            })
            .map(|name| (*name).clone())
            .collect()
    }

    fn compare_chain(&self, op: CompareOp, args: &[NodeId]) -> bool {
        let holds = |a: &Datum<'_>, b: &Datum<'_>| holds(op, compare(a, b));
        match args {
            [a, b] => holds(&self.eval(*a), &self.eval(*b)),
            [a, b, c] if matches!(op, CompareOp::Lt | CompareOp::Le) => {
                let middle = self.eval(*b);
                holds(&self.eval(*a), &middle) && holds(&middle, &self.eval(*c))
            }
            [a, b, ..] => holds(&self.eval(*a), &self.eval(*b)),
            // One operand compares with `undefined`: always false in JavaScript.
            _ => false,
        }
    }

    fn arith(&self, op: ArithOp, args: &[NodeId]) -> Val<'a> {
        let number = |n: f64| owned(Datum::Num(n));
        let value = |id: &NodeId| self.eval(*id);
        match op {
            ArithOp::Add => number(args.iter().map(|a| parse_float(&value(a))).sum()),
            ArithOp::Mul => match args {
                [] => Cow::Borrowed(&NULL),
                // json-logic-js reduces without a seed: one operand comes back untouched.
                [only] => value(only),
                [first, rest @ ..] => {
                    number(rest.iter().fold(parse_float(&value(first)), |acc, a| acc * parse_float(&value(a))))
                }
            },
            ArithOp::Sub => match args {
                [] => number(f64::NAN),
                [a] => number(-to_number(&value(a))),
                [a, b, ..] => number(to_number(&value(a)) - to_number(&value(b))),
            },
            ArithOp::Div | ArithOp::Rem => {
                let a = args.first().map_or(f64::NAN, |a| to_number(&value(a)));
                let b = args.get(1).map_or(f64::NAN, |b| to_number(&value(b)));
                number(if op == ArithOp::Div { a / b } else { a % b })
            }
            ArithOp::Min | ArithOp::Max => {
                let mut result = if op == ArithOp::Min { f64::INFINITY } else { f64::NEG_INFINITY };
                for arg in args {
                    let n = to_number(&value(arg));
                    if n.is_nan() {
                        return number(f64::NAN);
                    }
                    result = if op == ArithOp::Min { result.min(n) } else { result.max(n) };
                }
                number(result)
            }
        }
    }

    /// json-logic-js `substr`: JavaScript `String.prototype.substr(start, length)`,
    /// with a negative length meaning "stop that many characters before the end".
    /// Positions are clamped as JavaScript's `ToIntegerOrInfinity` does, so huge or
    /// infinite numbers saturate instead of overflowing.
    fn substr(&self, args: &[NodeId]) -> String {
        let source = args.first().map(|a| self.eval(*a));
        let text: Vec<char> =
            source.as_deref().map(to_js_string).unwrap_or(Cow::Borrowed("undefined")).chars().collect();
        let len = text.len() as f64;
        let start = args.get(1).map_or(0.0, |a| to_integer(to_number(&self.eval(*a))));
        let from = if start < 0.0 { (len + start).max(0.0) } else { start.min(len) };
        let to = match args.get(2).map(|a| to_number(&self.eval(*a))) {
            None => len,
            Some(n) if n.is_nan() => from,
            // json-logic-js: a negative length cuts `substr(start)` from its end.
            Some(n) if n < 0.0 => from + to_integer((len - from) + n).max(0.0),
            Some(n) => (from + to_integer(n)).min(len),
        };
        let (from, to) = (from as usize, (to.max(from)) as usize);
        text.get(from..to).map(|chars| chars.iter().collect()).unwrap_or_default()
    }

    fn iterate(&self, kind: IterKind, list: Val<'a>, body: NodeId) -> Val<'a> {
        match list {
            Cow::Borrowed(Datum::List(items)) => self.iterate_items(kind, items, body, |d| d.clone()),
            Cow::Owned(Datum::List(items)) => {
                // A computed list lives only here: results must not borrow from it.
                let local: &[Datum<'a>] = &items;
                let result = self.iterate_items(kind, local, body, |d| d.clone().into_static());
                owned(result.into_owned().into_static())
            }
            _ => match kind {
                IterKind::Map | IterKind::Filter => owned(Datum::List(Vec::new())),
                IterKind::All | IterKind::Some => boolean(false),
                IterKind::None => boolean(true),
            },
        }
    }

    fn iterate_items<'b>(
        &self,
        kind: IterKind,
        items: &'b [Datum<'a>],
        body: NodeId,
        keep: impl Fn(&Datum<'a>) -> Datum<'a>,
    ) -> Val<'a>
    where
        'a: 'b,
    {
        match kind {
            IterKind::Map => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if !self.budget.spend(1) {
                        return Cow::Borrowed(&NULL);
                    }
                    out.push(self.with_scope(item).eval(body).into_owned().into_static());
                }
                owned(Datum::List(out))
            }
            IterKind::Filter => {
                let mut out = Vec::new();
                for item in items {
                    if !self.budget.spend(1) {
                        return Cow::Borrowed(&NULL);
                    }
                    if self.with_scope(item).truthy(body) {
                        out.push(keep(item));
                    }
                }
                owned(Datum::List(out))
            }
            IterKind::All | IterKind::Some | IterKind::None => boolean(self.test_slice(kind, items, body)),
        }
    }

    /// `buckets`: (variant, weight) pairs, flattened.
    fn fractional(&self, key: Option<NodeId>, buckets: &[NodeId]) -> Val<'a> {
        let explicit = key.map(|k| self.eval(k));
        let bucket_key = match explicit.as_deref() {
            Some(Datum::Str(s)) => s.to_string(),
            _ => match self.hooks.implicit_bucket_key(self) {
                Some(k) => k,
                None => return Cow::Borrowed(&NULL),
            },
        };
        if buckets.is_empty() {
            return Cow::Borrowed(&NULL);
        }
        let weights: Vec<i64> = buckets
            .chunks_exact(2)
            .filter_map(|pair| pair.get(1))
            .map(|weight| {
                // Saturating: a weight of 1e300 is the largest weight, not an overflow.
                let w = to_integer(to_number(&self.eval(*weight)));
                if w.is_finite() {
                    w as i64
                } else if w > 0.0 {
                    i64::MAX
                } else {
                    0
                }
            })
            .collect();
        match pick_bucket(bucket_key.as_bytes(), weights.iter().copied()) {
            Some(index) => {
                let variant = buckets.chunks_exact(2).nth(index).and_then(<[NodeId]>::first);
                variant.map_or(Cow::Borrowed(&NULL), |variant| self.eval(*variant))
            }
            None => Cow::Borrowed(&NULL),
        }
    }
}

/// JavaScript's `ToIntegerOrInfinity` (NaN is 0; the rest truncates toward zero).
fn to_integer(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else if n.is_infinite() {
        n
    } else {
        libm::trunc(n)
    }
}

/// Units for a value kept across iterations (a `reduce` accumulator).
fn size_units(value: &Datum<'_>) -> u64 {
    match value {
        Datum::Str(s) => text_units(s.len()),
        Datum::List(items) => items.len() as u64,
        Datum::Map(entries) => entries.len() as u64,
        _ => 0,
    }
}

fn holds(op: CompareOp, ordering: Option<Ordering>) -> bool {
    match (op, ordering) {
        (_, None) => false,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
    }
}
