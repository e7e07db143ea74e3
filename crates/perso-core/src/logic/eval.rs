//! Evaluates a compiled [`Expr`] against data, following json-logic-js operator by
//! operator. Values are borrowed from the data or the program wherever possible
//! ([`Val`]), so the common conditions (comparisons, `in`, `some` over the cart)
//! allocate nothing.

use super::compile::{ArithOp, CompareOp, Expr, IterKind, VarPath};
use super::hash::pick_bucket;
use super::value::{compare, loose_equals, parse_float, strict_equals, to_js_string, to_number, Datum, Val, NULL};
use std::borrow::Cow;
use std::cmp::Ordering;

/// What a condition can see while it runs.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Context slots (bundle conditions), indexed by [`VarPath::Slot`].
    pub slots: &'a [Datum<'a>],
    /// Facts derived from the visitor state, indexed by [`VarPath::Derived`].
    pub derived: &'a [Datum<'a>],
    /// The data root (`apply`), read by [`VarPath::Keys`] outside iterations.
    pub root: &'a Datum<'a>,
    /// The current item inside `map`, `filter`, `all`, `none`, `some`, `reduce`.
    pub scope: &'a Datum<'a>,
    pub hooks: &'a dyn Hooks,
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
        Some(format!("{flag}{targeting}"))
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

impl Expr {
    /// Whether the expression is truthy. Boolean operators answer directly, without
    /// building a value: this is the hot path of every decision.
    pub fn truthy<'a>(&'a self, env: &Env<'a>) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.truthy(env)),
            Expr::Or(items) => items.iter().any(|e| e.truthy(env)),
            Expr::Not(inner) => !inner.truthy(env),
            Expr::Truthy(inner) => inner.truthy(env),
            Expr::Segment(index) => env.hooks.segment(*index),
            Expr::Equals { strict, negate, left, right } => equals(*strict, left, right, env) != *negate,
            Expr::Compare { op, args } => compare_chain(*op, args, env),
            Expr::InSet { needle, set } => {
                let needle = needle.eval(env);
                set.iter().any(|candidate| strict_equals(&needle, candidate))
            }
            Expr::Iterate { kind: kind @ (IterKind::All | IterKind::Some | IterKind::None), list, body } => {
                test_items(*kind, &list.eval(env), body, env)
            }
            Expr::Lit(d) => d.truthy(),
            Expr::NumCmp { path, op, k, general } => match lookup(path, env) {
                Some(Datum::Num(x)) => holds(*op, x.partial_cmp(k)),
                _ => general.truthy(env),
            },
            Expr::Between { path, lo, hi, inclusive, general } => match lookup(path, env) {
                Some(Datum::Num(x)) if *inclusive => *lo <= *x && *x <= *hi,
                Some(Datum::Num(x)) => *lo < *x && *x < *hi,
                _ => general.truthy(env),
            },
            Expr::StrEq { path, k, negate, general } => match lookup(path, env) {
                Some(Datum::Str(s)) => (**s == **k) != *negate,
                _ => general.truthy(env),
            },
            Expr::InStrSet { path, set, general } => match lookup(path, env) {
                Some(Datum::Str(s)) => set.iter().any(|k| **k == **s),
                // null (absent) is in no list of strings
                None => false,
                _ => general.truthy(env),
            },
            Expr::SomeFieldEq { path, key, k, general } => match lookup(path, env) {
                Some(Datum::List(items)) => {
                    for item in items {
                        match item.get(key) {
                            Some(Datum::Str(s)) if **s == **k => return true,
                            Some(Datum::Str(_) | Datum::Null) | None => {}
                            // A field of another type: the generic rules decide.
                            Some(_) => return general.truthy(env),
                        }
                    }
                    false
                }
                _ => general.truthy(env),
            },
            _ => self.eval(env).truthy(),
        }
    }

    pub fn eval<'a>(&'a self, env: &Env<'a>) -> Val<'a> {
        match self {
            Expr::Lit(d) => Cow::Borrowed(d),
            Expr::Undefined => Cow::Borrowed(&NULL),
            Expr::Array(items) => owned(Datum::List(items.iter().map(|e| e.eval(env).into_owned()).collect())),
            Expr::Var { path, default } => {
                let found = match path {
                    VarPath::Slot(index) => env.slots.get(usize::from(*index)).filter(|d| !d.is_null()),
                    VarPath::Derived(index) => env.derived.get(usize::from(*index)).filter(|d| !d.is_null()),
                    VarPath::Whole { in_scope } => Some(if *in_scope { env.scope } else { env.root }),
                    VarPath::Keys { keys, in_scope } => walk(if *in_scope { env.scope } else { env.root }, keys),
                };
                match (found, default) {
                    (Some(d), _) => Cow::Borrowed(d),
                    (None, Some(default)) => default.eval(env),
                    (None, None) => Cow::Borrowed(&NULL),
                }
            }
            Expr::VarComputed { path, default, in_scope } => {
                let base = if *in_scope { env.scope } else { env.root };
                let path = path.eval(env);
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
                    (None, Some(default)) => default.eval(env),
                    (None, None) => Cow::Borrowed(&NULL),
                }
            }
            Expr::Missing { keys, in_scope } => {
                let evaluated: Vec<Val<'a>> = keys.iter().map(|k| k.eval(env)).collect();
                let names: Vec<&Datum<'a>> = match evaluated.first().map(|v| &**v) {
                    Some(Datum::List(list)) => list.iter().collect(),
                    _ => evaluated.iter().map(|v| &**v).collect(),
                };
                owned(Datum::List(missing_keys(&names, *in_scope, env)))
            }
            Expr::MissingSome { need, keys, in_scope } => {
                let need = to_number(&need.eval(env));
                let keys = keys.eval(env);
                let names: Vec<&Datum<'a>> = match &*keys {
                    Datum::List(list) => list.iter().collect(),
                    other => vec![other],
                };
                let missing = missing_keys(&names, *in_scope, env);
                if (names.len() - missing.len()) as f64 >= need {
                    owned(Datum::List(Vec::new()))
                } else {
                    owned(Datum::List(missing))
                }
            }
            Expr::MissingPaths { need, paths } => {
                let missing: Vec<Datum<'a>> = paths
                    .iter()
                    .filter(|(_, path)| {
                        let value = Expr::Var { path: path.clone(), default: None };
                        matches!(&*value.eval(env), Datum::Null)
                            || matches!(&*value.eval(env), Datum::Str(s) if s.is_empty())
                    })
                    .map(|(name, _)| name.clone())
                    .collect();
                match need {
                    Some(need) if (paths.len() - missing.len()) as f64 >= to_number(&need.eval(env)) => {
                        owned(Datum::List(Vec::new()))
                    }
                    _ => owned(Datum::List(missing)),
                }
            }
            Expr::If(items) => {
                let mut i = 0;
                while i + 1 < items.len() {
                    if items[i].truthy(env) {
                        return items[i + 1].eval(env);
                    }
                    i += 2;
                }
                match items.get(i) {
                    Some(otherwise) => otherwise.eval(env),
                    None => Cow::Borrowed(&NULL),
                }
            }
            Expr::And(items) => {
                let mut last = Cow::Borrowed(&NULL);
                for item in items {
                    last = item.eval(env);
                    if !last.truthy() {
                        return last;
                    }
                }
                last
            }
            Expr::Or(items) => {
                let mut last = Cow::Borrowed(&NULL);
                for item in items {
                    last = item.eval(env);
                    if last.truthy() {
                        return last;
                    }
                }
                last
            }
            Expr::Not(inner) => boolean(!inner.truthy(env)),
            Expr::Truthy(inner) => boolean(inner.truthy(env)),
            Expr::Equals { strict, negate, left, right } => boolean(equals(*strict, left, right, env) != *negate),
            Expr::Compare { op, args } => boolean(compare_chain(*op, args, env)),
            Expr::InSet { needle, set } => {
                let needle = needle.eval(env);
                boolean(set.iter().any(|candidate| strict_equals(&needle, candidate)))
            }
            Expr::In { needle, haystack } => {
                let (needle, haystack) = (needle.eval(env), haystack.eval(env));
                boolean(match &*haystack {
                    // json-logic-js: `if (!b || ...) return false`, and "" is falsy.
                    Datum::Str(text) => !text.is_empty() && text.contains(&*to_js_string(&needle)),
                    Datum::List(items) => items.iter().any(|item| strict_equals(&needle, item)),
                    _ => false,
                })
            }
            Expr::Cat(items) => {
                let mut text = String::new();
                // json-logic-js joins its operands: null becomes "", not "null".
                for item in items {
                    let value = item.eval(env);
                    if !value.is_null() {
                        text.push_str(&to_js_string(&value));
                    }
                }
                owned(Datum::Str(Cow::Owned(text)))
            }
            Expr::Substr(items) => owned(Datum::Str(Cow::Owned(substr(items, env)))),
            Expr::Arith { op, args } => arith(*op, args, env),
            Expr::Merge(items) => {
                let mut merged = Vec::new();
                for item in items {
                    match item.eval(env).into_owned() {
                        Datum::List(list) => merged.extend(list),
                        other => merged.push(other),
                    }
                }
                owned(Datum::List(merged))
            }
            Expr::Iterate { kind, list, body } => iterate(*kind, list.eval(env), body, env),
            Expr::Reduce { list, body, initial } => {
                let mut accumulator = initial.eval(env).into_owned().into_static();
                let list = list.eval(env);
                let Datum::List(items) = &*list else { return owned(accumulator) };
                for item in items {
                    let scope = Datum::Map(vec![
                        (Cow::Borrowed("current"), item.clone()),
                        (Cow::Borrowed("accumulator"), accumulator),
                    ]);
                    let inner = Env { scope: &scope, ..*env };
                    accumulator = body.eval(&inner).into_owned().into_static();
                }
                owned(accumulator)
            }
            Expr::StartsWith(text, affix) | Expr::EndsWith(text, affix) => {
                let (text, affix) = (text.eval(env), affix.eval(env));
                boolean(match (&*text, &*affix) {
                    (Datum::Str(t), Datum::Str(a)) => {
                        if matches!(self, Expr::StartsWith(..)) {
                            t.starts_with(&**a)
                        } else {
                            t.ends_with(&**a)
                        }
                    }
                    _ => false,
                })
            }
            Expr::Segment(index) => boolean(env.hooks.segment(*index)),
            Expr::Fractional { key, buckets } => fractional(key.as_deref(), buckets, env),
            Expr::SemVer(args) => {
                let values: Vec<Val<'a>> = args.iter().map(|a| a.eval(env)).collect();
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
            Expr::Log(inner) => inner.eval(env),
            Expr::NumCmp { general, .. }
            | Expr::Between { general, .. }
            | Expr::StrEq { general, .. }
            | Expr::InStrSet { general, .. }
            | Expr::SomeFieldEq { general, .. } => boolean(general.truthy(env)),
        }
    }
}

/// A context value by resolved path; `None` when absent (null).
fn lookup<'a>(path: &VarPath, env: &Env<'a>) -> Option<&'a Datum<'a>> {
    let value = match path {
        VarPath::Slot(index) => env.slots.get(usize::from(*index)),
        VarPath::Derived(index) => env.derived.get(usize::from(*index)),
        _ => None,
    };
    value.filter(|d| !d.is_null())
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

fn equals<'a>(strict: bool, left: &'a Expr, right: &'a Expr, env: &Env<'a>) -> bool {
    match (left, right) {
        (Expr::Undefined, Expr::Undefined) => true,
        // Data never holds `undefined`: only `null == undefined` holds.
        (Expr::Undefined, other) | (other, Expr::Undefined) => !strict && other.eval(env).is_null(),
        _ => {
            let (a, b) = (left.eval(env), right.eval(env));
            match (&a, &b) {
                // Arrays and objects are equal only to themselves (identity).
                (Cow::Borrowed(x), Cow::Borrowed(y))
                    if matches!(x, Datum::List(_) | Datum::Map(_)) && std::ptr::eq(*x, *y) =>
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
fn test_items<'a>(kind: IterKind, list: &Datum<'a>, body: &'a Expr, env: &Env<'a>) -> bool {
    let Datum::List(items) = list else { return kind == IterKind::None };
    // Items may be computed (owned by `list`), so the body sees them through a
    // shorter-lived environment; only a bool comes out.
    let test = |item: &Datum<'_>| {
        let inner = Env { slots: env.slots, derived: env.derived, root: env.root, scope: item, hooks: env.hooks };
        body.truthy(&inner)
    };
    match kind {
        IterKind::All => !items.is_empty() && items.iter().all(test),
        IterKind::None => !items.iter().any(test),
        _ => items.iter().any(test),
    }
}

fn missing_keys<'a>(names: &[&Datum<'a>], in_scope: bool, env: &Env<'a>) -> Vec<Datum<'a>> {
    let base = if in_scope { env.scope } else { env.root };
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

fn compare_chain<'a>(op: CompareOp, args: &'a [Expr], env: &Env<'a>) -> bool {
    let holds = |a: &Datum<'_>, b: &Datum<'_>| holds(op, compare(a, b));
    match args {
        [a, b] => holds(&a.eval(env), &b.eval(env)),
        [a, b, c] if matches!(op, CompareOp::Lt | CompareOp::Le) => {
            let middle = b.eval(env);
            holds(&a.eval(env), &middle) && holds(&middle, &c.eval(env))
        }
        [a, b, ..] => holds(&a.eval(env), &b.eval(env)),
        // One operand compares with `undefined`: always false in JavaScript.
        _ => false,
    }
}

fn arith<'a>(op: ArithOp, args: &'a [Expr], env: &Env<'a>) -> Val<'a> {
    let number = |n: f64| owned(Datum::Num(n));
    match op {
        ArithOp::Add => number(args.iter().map(|a| parse_float(&a.eval(env))).sum()),
        ArithOp::Mul => match args {
            [] => Cow::Borrowed(&NULL),
            // json-logic-js reduces without a seed: one operand comes back untouched.
            [only] => only.eval(env),
            [first, rest @ ..] => {
                number(rest.iter().fold(parse_float(&first.eval(env)), |acc, a| acc * parse_float(&a.eval(env))))
            }
        },
        ArithOp::Sub => match args {
            [] => number(f64::NAN),
            [a] => number(-to_number(&a.eval(env))),
            [a, b, ..] => number(to_number(&a.eval(env)) - to_number(&b.eval(env))),
        },
        ArithOp::Div | ArithOp::Rem => {
            let a = args.first().map_or(f64::NAN, |a| to_number(&a.eval(env)));
            let b = args.get(1).map_or(f64::NAN, |b| to_number(&b.eval(env)));
            number(if op == ArithOp::Div { a / b } else { a % b })
        }
        ArithOp::Min | ArithOp::Max => {
            let mut result = if op == ArithOp::Min { f64::INFINITY } else { f64::NEG_INFINITY };
            for arg in args {
                let n = to_number(&arg.eval(env));
                if n.is_nan() {
                    return number(f64::NAN);
                }
                result = if op == ArithOp::Min { result.min(n) } else { result.max(n) };
            }
            number(result)
        }
    }
}

/// json-logic-js `substr`: JavaScript `String.prototype.substr`, with a negative
/// length meaning "stop that many characters before the end".
fn substr<'a>(args: &'a [Expr], env: &Env<'a>) -> String {
    let source = args.first().map(|a| a.eval(env));
    let text: Vec<char> = source.as_deref().map(to_js_string).unwrap_or(Cow::Borrowed("undefined")).chars().collect();
    let len = text.len() as i64;
    let start = args.get(1).map_or(0.0, |a| to_number(&a.eval(env)));
    let start = if start.is_nan() { 0 } else { start as i64 };
    let from = if start < 0 { (len + start).max(0) } else { start.min(len) };
    let to = match args.get(2).map(|a| to_number(&a.eval(env))) {
        None => len,
        Some(n) if n.is_nan() => from,
        Some(n) if n < 0.0 => (len + n as i64).max(from),
        Some(n) => (from + n as i64).min(len),
    };
    text[from as usize..to.max(from) as usize].iter().collect()
}

fn iterate<'a>(kind: IterKind, list: Val<'a>, body: &'a Expr, env: &Env<'a>) -> Val<'a> {
    match list {
        Cow::Borrowed(Datum::List(items)) => iterate_items(kind, items, body, env, |d| d.clone()),
        Cow::Owned(Datum::List(items)) => {
            // A computed list lives only here: results must not borrow from it.
            let local: &[Datum<'a>] = &items;
            let result = iterate_items(kind, local, body, env, |d| d.clone().into_static());
            owned(result.into_owned().into_static())
        }
        _ => match kind {
            IterKind::Map | IterKind::Filter => owned(Datum::List(Vec::new())),
            IterKind::All | IterKind::Some => boolean(false),
            IterKind::None => boolean(true),
        },
    }
}

fn iterate_items<'a, 'b>(
    kind: IterKind,
    items: &'b [Datum<'a>],
    body: &'a Expr,
    env: &Env<'a>,
    keep: impl Fn(&Datum<'a>) -> Datum<'a>,
) -> Val<'a>
where
    'a: 'b,
{
    let env_for = |item: &'b Datum<'a>| Env {
        slots: env.slots,
        derived: env.derived,
        root: env.root,
        scope: item,
        hooks: env.hooks,
    };
    match kind {
        IterKind::Map => {
            owned(Datum::List(items.iter().map(|item| body.eval(&env_for(item)).into_owned().into_static()).collect()))
        }
        IterKind::Filter => {
            owned(Datum::List(items.iter().filter(|item| body.truthy(&env_for(item))).map(&keep).collect()))
        }
        IterKind::All => boolean(!items.is_empty() && items.iter().all(|item| body.truthy(&env_for(item)))),
        IterKind::Some => boolean(items.iter().any(|item| body.truthy(&env_for(item)))),
        IterKind::None => boolean(!items.iter().any(|item| body.truthy(&env_for(item)))),
    }
}

fn fractional<'a>(key: Option<&'a Expr>, buckets: &'a [(Expr, Expr)], env: &Env<'a>) -> Val<'a> {
    let explicit = key.map(|k| k.eval(env));
    let bucket_key = match explicit.as_deref() {
        Some(Datum::Str(s)) => s.to_string(),
        _ => match env.hooks.implicit_bucket_key(env) {
            Some(k) => k,
            None => return Cow::Borrowed(&NULL),
        },
    };
    if buckets.is_empty() {
        return Cow::Borrowed(&NULL);
    }
    let weights: Vec<i64> = buckets
        .iter()
        .map(|(_, weight)| {
            let w = to_number(&weight.eval(env));
            if w.is_finite() {
                w.trunc() as i64
            } else {
                0
            }
        })
        .collect();
    match pick_bucket(bucket_key.as_bytes(), weights.iter().copied()) {
        Some(index) => buckets[index].0.eval(env),
        None => Cow::Borrowed(&NULL),
    }
}
