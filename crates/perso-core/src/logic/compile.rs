//! JsonLogic JSON -> [`Expr`], the compact form conditions are evaluated in.
//!
//! Compiling happens once, at bundle load. It resolves what can be resolved then:
//! operator names become enum variants, literals become [`Datum`]s, `var` paths are
//! split once, and — in bundle conditions — every top-level context path is interned
//! into a slot number, so evaluation indexes an array instead of walking JSON.
//! `in` over a literal list becomes a [`Expr::InSet`] of pre-made values.
//!
//! Two modes: [`Mode::Dynamic`] is JsonLogic as json-logic-js runs it (any data, computed
//! `var` paths), used by `apply`; [`Mode::Schema`] is for bundle conditions, where paths
//! must be literal (so the bundle's [`references`](crate::Engine::references) are known
//! and a host can collect only those) and perso's domain operators are available.

use super::value::Datum;
use serde_json::Value;
use std::borrow::Cow;

static NULL_RULE: Value = Value::Null;

/// Most nesting a condition may have; deeper rules are refused at load.
pub const MAX_DEPTH: usize = 32;
/// Most operators in one condition.
pub const MAX_NODES: usize = 2_000;

#[derive(Debug, Clone)]
pub enum Expr {
    Lit(Datum<'static>),
    /// A missing operand: JavaScript's `undefined` (`== null` but not `=== null`).
    Undefined,
    /// An array literal holding logic: evaluated element by element.
    Array(Vec<Expr>),
    Var {
        path: VarPath,
        default: Option<Box<Expr>>,
    },
    /// `var` with a computed path (dynamic mode only).
    VarComputed {
        path: Box<Expr>,
        default: Option<Box<Expr>>,
        in_scope: bool,
    },
    Missing {
        keys: Vec<Expr>,
        in_scope: bool,
    },
    MissingSome {
        need: Box<Expr>,
        keys: Box<Expr>,
        in_scope: bool,
    },
    /// `missing` / `missing_some` with literal paths resolved at load (schema mode);
    /// `need: None` is plain `missing`.
    MissingPaths {
        need: Option<Box<Expr>>,
        paths: Vec<(Datum<'static>, VarPath)>,
    },
    If(Vec<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Truthy(Box<Expr>),
    Equals {
        strict: bool,
        negate: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `<`, `<=`, `>`, `>=`; with three operands `<`/`<=` test "between".
    Compare {
        op: CompareOp,
        args: Vec<Expr>,
    },
    /// `in` against a literal list: strict equality against pre-made values.
    InSet {
        needle: Box<Expr>,
        set: Vec<Datum<'static>>,
    },
    In {
        needle: Box<Expr>,
        haystack: Box<Expr>,
    },
    Cat(Vec<Expr>),
    Substr(Vec<Expr>),
    Arith {
        op: ArithOp,
        args: Vec<Expr>,
    },
    Merge(Vec<Expr>),
    Iterate {
        kind: IterKind,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    Reduce {
        list: Box<Expr>,
        body: Box<Expr>,
        initial: Box<Expr>,
    },
    StartsWith(Box<Expr>, Box<Expr>),
    EndsWith(Box<Expr>, Box<Expr>),
    Segment(u16),
    /// flagd `fractional`; `key: None` buckets by `$flagd.flagKey + targetingKey`.
    Fractional {
        key: Option<Box<Expr>>,
        buckets: Vec<(Expr, Expr)>,
    },
    SemVer(Vec<Expr>),
    Log(Box<Expr>),
    /// Specialized clause shapes of bundle conditions ([`specialize`]): a fast path when
    /// the context value has the expected type, else the generic expression they were
    /// made from (`general`), so their semantics are exactly the generic ones.
    NumCmp { path: VarPath, op: CompareOp, k: f64, general: Box<Expr> },
    Between { path: VarPath, lo: f64, hi: f64, inclusive: bool, general: Box<Expr> },
    StrEq { path: VarPath, k: Box<str>, negate: bool, general: Box<Expr> },
    InStrSet { path: VarPath, set: Box<[Box<str>]>, general: Box<Expr> },
    SomeFieldEq { path: VarPath, key: Box<str>, k: Box<str>, general: Box<Expr> },
}

#[derive(Debug, Clone)]
pub enum VarPath {
    /// The whole data (or the current item inside `map`/`filter`/...).
    Whole { in_scope: bool },
    /// A top-level context path interned at load (schema mode).
    Slot(u16),
    /// A fact the engine derives from the visitor state (schema mode), e.g.
    /// `session.time_on_site_s`; see [`crate::context::DERIVED_PATHS`].
    Derived(u8),
    /// Keys walked from the data root (dynamic mode) or from the current item.
    Keys { keys: Box<[Box<str>]>, in_scope: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IterKind {
    Map,
    Filter,
    All,
    None,
    Some,
}

/// What went wrong compiling a condition, at `path` (a JSON path).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct LogicError {
    pub path: String,
    pub problem: LogicProblem,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogicProblem {
    #[error("unknown operator \"{0}\"")]
    UnknownOperator(String),
    #[error("\"{op}\" takes {expected}")]
    Arguments { op: &'static str, expected: &'static str },
    #[error("\"{0}\" needs a literal path here (bundle conditions must name the context paths they read)")]
    ComputedPath(&'static str),
    #[error("\"var\" path must be a string or a number")]
    BadPath,
    #[error("unknown segment \"{0}\"")]
    UnknownSegment(String),
    #[error("\"segment\" is only available in bundle conditions")]
    SegmentOutsideBundle,
    #[error("nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("more than {MAX_NODES} operators in one condition")]
    TooLarge,
}

/// How paths and segments resolve while compiling.
pub enum Mode<'m> {
    Dynamic,
    Schema(&'m mut dyn SchemaResolver),
}

/// Implemented by the bundle compiler: interns context paths and knows the segments.
pub trait SchemaResolver {
    fn var(&mut self, path: &str) -> VarPath;
    fn segment(&mut self, id: &str) -> Option<u16>;
    /// Id of the campaign or segment being compiled: `$flagd.flagKey`.
    fn owner(&self) -> &str;
}

pub fn compile(rule: &Value, mode: Mode<'_>, path: &str) -> Result<Expr, LogicError> {
    let schema = matches!(mode, Mode::Schema(_));
    let mut compiler = Compiler { mode, nodes: 0, base: path, steps: Vec::new() };
    let expr = compiler.expr(rule, 0, false)?;
    Ok(if schema { specialize(expr) } else { expr })
}

/// Rewrites the clause shapes bundles are made of into dedicated nodes (see
/// [`Expr::NumCmp`] and siblings): a context path compared with a number, between two
/// numbers, equal to a string, in a list of strings, and `some` item field equal to a
/// string. Only paths resolved to slots qualify; everything else is left as it is.
pub fn specialize(expr: Expr) -> Expr {
    fn path(e: &Expr) -> Option<VarPath> {
        match e {
            Expr::Var { path: p @ (VarPath::Slot(_) | VarPath::Derived(_)), default: None } => Some(p.clone()),
            _ => None,
        }
    }
    fn num(e: &Expr) -> Option<f64> {
        match e {
            Expr::Lit(Datum::Num(n)) if n.is_finite() => Some(*n),
            _ => None,
        }
    }
    fn text(e: &Expr) -> Option<Box<str>> {
        match e {
            Expr::Lit(Datum::Str(s)) => Some(Box::from(&**s)),
            _ => None,
        }
    }
    match expr {
        Expr::And(items) => Expr::And(items.into_iter().map(specialize).collect()),
        Expr::Or(items) => Expr::Or(items.into_iter().map(specialize).collect()),
        Expr::Not(inner) => Expr::Not(Box::new(specialize(*inner))),
        Expr::Compare { op, args } => {
            let shape = match args.as_slice() {
                [a, b] => path(a).zip(num(b)).map(|(p, k)| (p, None, k)),
                [lo, x, hi] => path(x).zip(num(lo).zip(num(hi))).map(|(p, (lo, hi))| (p, Some(lo), hi)),
                _ => None,
            };
            let general = Box::new(Expr::Compare { op, args });
            match shape {
                Some((path, None, k)) => Expr::NumCmp { path, op, k, general },
                Some((path, Some(lo), hi)) => Expr::Between { path, lo, hi, inclusive: op == CompareOp::Le, general },
                None => *general,
            }
        }
        Expr::Equals { strict, negate, left, right } => match (path(&left), text(&right)) {
            (Some(path), Some(k)) => {
                let general = Box::new(Expr::Equals { strict, negate, left, right });
                Expr::StrEq { path, k, negate, general }
            }
            _ => Expr::Equals { strict, negate, left, right },
        },
        Expr::InSet { needle, set } => {
            let strings: Option<Box<[Box<str>]>> = set.iter().map(|d| d.as_str().map(Box::from)).collect();
            match (path(&needle), strings) {
                (Some(path), Some(strings)) => {
                    Expr::InStrSet { path, set: strings, general: Box::new(Expr::InSet { needle, set }) }
                }
                _ => Expr::InSet { needle, set },
            }
        }
        Expr::Iterate { kind: IterKind::Some, list, body } => {
            let shape = match (&*body, path(&list)) {
                (Expr::Equals { negate: false, left, right, .. }, Some(path)) => match (&**left, text(right)) {
                    (Expr::Var { path: VarPath::Keys { keys, in_scope: true }, default: None }, Some(k)) if keys.len() == 1 => {
                        Some((path, keys[0].clone(), k))
                    }
                    _ => None,
                },
                _ => None,
            };
            let general = Box::new(Expr::Iterate { kind: IterKind::Some, list, body });
            match shape {
                Some((path, key, k)) => Expr::SomeFieldEq { path, key, k, general },
                None => *general,
            }
        }
        other => other,
    }
}

/// One step of a JSON path, kept as data and only rendered for an error message.
#[derive(Clone, Copy)]
enum Step<'r> {
    Key(&'r str),
    Index(usize),
}

struct Compiler<'m, 'r> {
    mode: Mode<'m>,
    nodes: usize,
    /// JSON path of the rule, and the steps to the node being compiled.
    base: &'r str,
    steps: Vec<Step<'r>>,
}

fn operands(args: &Value) -> &[Value] {
    match args {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    }
}

impl<'r> Compiler<'_, 'r> {
    fn fail(&self, problem: LogicProblem) -> LogicError {
        let mut path = self.base.to_owned();
        for step in &self.steps {
            match step {
                Step::Key(key) => path.push_str(&key_segment(key)),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        LogicError { path, problem }
    }

    fn schema(&self) -> bool {
        matches!(self.mode, Mode::Schema(_))
    }

    fn at<T>(&mut self, steps: &[Step<'r>], f: impl FnOnce(&mut Self) -> Result<T, LogicError>) -> Result<T, LogicError> {
        let len = self.steps.len();
        self.steps.extend_from_slice(steps);
        let result = f(self);
        self.steps.truncate(len);
        result
    }

    fn expr(&mut self, rule: &'r Value, depth: usize, in_scope: bool) -> Result<Expr, LogicError> {
        if depth > MAX_DEPTH {
            return Err(self.fail(LogicProblem::TooDeep));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.fail(LogicProblem::TooLarge));
        }
        match rule {
            Value::Array(items) => {
                let compiled = self.each(items, depth, in_scope)?;
                if compiled.iter().all(|e| matches!(e, Expr::Lit(_))) {
                    let literal = compiled
                        .into_iter()
                        .map(|e| match e {
                            Expr::Lit(d) => d,
                            _ => Datum::Null,
                        })
                        .collect();
                    Ok(Expr::Lit(Datum::List(literal)))
                } else {
                    Ok(Expr::Array(compiled))
                }
            }
            Value::Object(map) if map.len() == 1 => {
                let Some((op, args)) = map.iter().next() else {
                    return Ok(Expr::Lit(Datum::from_json(rule).into_static()));
                };
                let op = op.as_str();
                self.at(&[Step::Key(op)], |c| c.operator(op, args, depth + 1, in_scope))
            }
            other => Ok(Expr::Lit(Datum::from_json(other).into_static())),
        }
    }

    fn each(&mut self, items: &'r [Value], depth: usize, in_scope: bool) -> Result<Vec<Expr>, LogicError> {
        items.iter().enumerate().map(|(i, item)| self.at(&[Step::Index(i)], |c| c.expr(item, depth, in_scope))).collect()
    }

    fn operands(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Vec<Expr>, LogicError> {
        match args {
            Value::Array(items) => self.each(items, depth, in_scope),
            other => Ok(vec![self.expr(other, depth, in_scope)?]),
        }
    }

    fn operator(&mut self, op: &'r str, args: &'r Value, depth: usize, in_scope: bool) -> Result<Expr, LogicError> {
        let boxed = |e: Expr| Box::new(e);
        Ok(match op {
            "var" => self.var(args, depth, in_scope)?,
            "missing" => {
                let keys = self.operands(args, depth, in_scope)?;
                if self.schema() {
                    Expr::MissingPaths { need: None, paths: self.literal_paths("missing", keys, in_scope)? }
                } else {
                    Expr::Missing { keys, in_scope }
                }
            }
            "missing_some" => {
                let mut a = self.operands(args, depth, in_scope)?.into_iter();
                let (Some(need), Some(keys)) = (a.next(), a.next()) else {
                    return Err(self.fail(LogicProblem::Arguments { op: "missing_some", expected: "[count, [paths]]" }));
                };
                if self.schema() {
                    let paths = self.literal_paths("missing_some", vec![keys], in_scope)?;
                    Expr::MissingPaths { need: Some(boxed(need)), paths }
                } else {
                    Expr::MissingSome { need: boxed(need), keys: boxed(keys), in_scope }
                }
            }
            "if" | "?:" => Expr::If(self.operands(args, depth, in_scope)?),
            "and" => Expr::And(self.operands(args, depth, in_scope)?),
            "or" => Expr::Or(self.operands(args, depth, in_scope)?),
            "!" => Expr::Not(boxed(self.first(args, depth, in_scope)?)),
            "!!" => Expr::Truthy(boxed(self.first(args, depth, in_scope)?)),
            "==" | "===" | "!=" | "!==" => {
                let (left, right) = self.two(args, depth, in_scope)?;
                Expr::Equals {
                    strict: op.len() == 3,
                    negate: op.starts_with('!'),
                    left: boxed(left),
                    right: boxed(right),
                }
            }
            "<" | "<=" | ">" | ">=" => {
                let op_kind = match op {
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                let args = self.operands(args, depth, in_scope)?;
                if self.schema()
                    && !(args.len() == 2 || (args.len() == 3 && matches!(op_kind, CompareOp::Lt | CompareOp::Le)))
                {
                    return Err(self.fail(LogicProblem::Arguments {
                        op: "comparison",
                        expected: "two operands (or three for \"<\" and \"<=\": between)",
                    }));
                }
                Expr::Compare { op: op_kind, args }
            }
            "in" => {
                let (needle, haystack) = self.two(args, depth, in_scope)?;
                match haystack {
                    Expr::Lit(Datum::List(set)) => Expr::InSet { needle: boxed(needle), set },
                    haystack => Expr::In { needle: boxed(needle), haystack: boxed(haystack) },
                }
            }
            "cat" => Expr::Cat(self.operands(args, depth, in_scope)?),
            "substr" => Expr::Substr(self.operands(args, depth, in_scope)?),
            "+" | "-" | "*" | "/" | "%" | "min" | "max" => {
                let op = match op {
                    "+" => ArithOp::Add,
                    "-" => ArithOp::Sub,
                    "*" => ArithOp::Mul,
                    "/" => ArithOp::Div,
                    "%" => ArithOp::Rem,
                    "min" => ArithOp::Min,
                    _ => ArithOp::Max,
                };
                Expr::Arith { op, args: self.operands(args, depth, in_scope)? }
            }
            "merge" => Expr::Merge(self.operands(args, depth, in_scope)?),
            "map" | "filter" | "all" | "none" | "some" => {
                let kind = match op {
                    "map" => IterKind::Map,
                    "filter" => IterKind::Filter,
                    "all" => IterKind::All,
                    "none" => IterKind::None,
                    _ => IterKind::Some,
                };
                let items = operands(args);
                let list = self.at(&[Step::Index(0)], |c| c.expr(items.first().unwrap_or(&NULL_RULE), depth, in_scope))?;
                let body = self.at(&[Step::Index(1)], |c| c.expr(items.get(1).unwrap_or(&NULL_RULE), depth, true))?;
                Expr::Iterate { kind, list: boxed(list), body: boxed(body) }
            }
            "reduce" => {
                let items = operands(args);
                let list = self.at(&[Step::Index(0)], |c| c.expr(items.first().unwrap_or(&NULL_RULE), depth, in_scope))?;
                let body = self.at(&[Step::Index(1)], |c| c.expr(items.get(1).unwrap_or(&NULL_RULE), depth, true))?;
                let initial = self.at(&[Step::Index(2)], |c| c.expr(items.get(2).unwrap_or(&NULL_RULE), depth, in_scope))?;
                Expr::Reduce { list: boxed(list), body: boxed(body), initial: boxed(initial) }
            }
            "starts_with" | "ends_with" => {
                let (a, b) = self.two(args, depth, in_scope)?;
                if op == "starts_with" {
                    Expr::StartsWith(boxed(a), boxed(b))
                } else {
                    Expr::EndsWith(boxed(a), boxed(b))
                }
            }
            "segment" => {
                let Mode::Schema(resolver) = &mut self.mode else {
                    return Err(self.fail(LogicProblem::SegmentOutsideBundle));
                };
                let id = match args {
                    Value::String(id) => id.as_str(),
                    Value::Array(items) if items.len() == 1 => items[0].as_str().unwrap_or(""),
                    _ => "",
                };
                if id.is_empty() {
                    return Err(
                        self.fail(LogicProblem::Arguments { op: "segment", expected: "a segment id (a string)" })
                    );
                }
                match resolver.segment(id) {
                    Some(index) => Expr::Segment(index),
                    None => return Err(self.fail(LogicProblem::UnknownSegment(id.to_owned()))),
                }
            }
            "fractional" => self.fractional(args, depth, in_scope)?,
            "sem_ver" => Expr::SemVer(self.operands(args, depth, in_scope)?),
            "log" => Expr::Log(boxed(self.first(args, depth, in_scope)?)),
            other => return Err(self.fail(LogicProblem::UnknownOperator(other.to_owned()))),
        })
    }

    fn first(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Expr, LogicError> {
        Ok(self.operands(args, depth, in_scope)?.into_iter().next().unwrap_or(Expr::Lit(Datum::Null)))
    }

    /// Two operands; json-logic-js reads missing ones as `undefined` (null here), but a
    /// bundle condition with the wrong count is a mistake worth reporting.
    fn two(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<(Expr, Expr), LogicError> {
        let ops = self.operands(args, depth, in_scope)?;
        if self.schema() && ops.len() != 2 {
            return Err(self.fail(LogicProblem::Arguments { op: "this operator", expected: "exactly two operands" }));
        }
        let mut it = ops.into_iter();
        Ok((it.next().unwrap_or(Expr::Undefined), it.next().unwrap_or(Expr::Undefined)))
    }

    fn var(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Expr, LogicError> {
        let items = operands(args);
        let default = match items.get(1) {
            Some(d) => Some(Box::new(self.at(&[Step::Index(1)], |c| c.expr(d, depth, in_scope))?)),
            None => None,
        };
        let path = match items.first() {
            None | Some(Value::Null) => VarPath::Whole { in_scope },
            Some(Value::String(s)) if s.is_empty() => VarPath::Whole { in_scope },
            Some(Value::String(s)) if self.schema() && !in_scope && s == "$flagd.flagKey" => {
                let Mode::Schema(resolver) = &self.mode else { return Err(self.fail(LogicProblem::BadPath)) };
                return Ok(Expr::Lit(Datum::Str(Cow::Owned(resolver.owner().to_owned()))));
            }
            Some(Value::String(s)) if self.schema() && !in_scope && s == "targetingKey" => {
                self.path_of("visitor.id", false)
            }
            Some(Value::String(s)) => self.path_of(s, in_scope),
            Some(Value::Number(n)) => self.path_of(&n.to_string(), in_scope),
            Some(other @ Value::Object(_)) => {
                if self.schema() {
                    return Err(self.fail(LogicProblem::ComputedPath("var")));
                }
                let path = Box::new(self.at(&[Step::Index(0)], |c| c.expr(other, depth, in_scope))?);
                return Ok(Expr::VarComputed { path, default, in_scope });
            }
            Some(_) => return Err(self.fail(LogicProblem::BadPath)),
        };
        if self.schema() && matches!(path, VarPath::Whole { in_scope: false }) {
            return Err(self.fail(LogicProblem::ComputedPath("var")));
        }
        Ok(Expr::Var { path, default })
    }

    fn path_of(&mut self, path: &str, in_scope: bool) -> VarPath {
        if let (false, Mode::Schema(resolver)) = (in_scope, &mut self.mode) {
            return resolver.var(path);
        }
        VarPath::Keys { keys: path.split('.').map(Box::from).collect(), in_scope }
    }

    /// `missing` takes paths; in bundle conditions they must be literal, and are
    /// resolved now (the name is kept to report it).
    fn literal_paths(
        &mut self,
        op: &'static str,
        keys: Vec<Expr>,
        in_scope: bool,
    ) -> Result<Vec<(Datum<'static>, VarPath)>, LogicError> {
        let mut names = Vec::new();
        for key in keys {
            match key {
                Expr::Lit(Datum::List(list)) => names.extend(list),
                Expr::Lit(name @ (Datum::Str(_) | Datum::Num(_))) => names.push(name),
                _ => return Err(self.fail(LogicProblem::ComputedPath(op))),
            }
        }
        let mut resolved = Vec::with_capacity(names.len());
        for name in names {
            let path = match &name {
                Datum::Str(s) => s.to_string(),
                Datum::Num(n) => super::value::js_number_string(*n),
                _ => return Err(self.fail(LogicProblem::ComputedPath(op))),
            };
            let var = self.path_of(&path, in_scope);
            resolved.push((name, var));
        }
        Ok(resolved)
    }

    fn fractional(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Expr, LogicError> {
        let items = operands(args);
        let mut key = None;
        let mut buckets = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Array(pair) => {
                    let variant = self
                        .at(&[Step::Index(i), Step::Index(0)], |c| c.expr(pair.first().unwrap_or(&NULL_RULE), depth, in_scope))?;
                    let weight = match pair.get(1) {
                        Some(w) => self.at(&[Step::Index(i), Step::Index(1)], |c| c.expr(w, depth, in_scope))?,
                        None => Expr::Lit(Datum::Num(1.0)),
                    };
                    buckets.push((variant, weight));
                }
                other if i == 0 => key = Some(Box::new(self.at(&[Step::Index(0)], |c| c.expr(other, depth, in_scope))?)),
                _ => {
                    return Err(self.fail(LogicProblem::Arguments {
                        op: "fractional",
                        expected: "an optional bucketing key, then [variant, weight] pairs",
                    }))
                }
            }
        }
        if let Mode::Schema(resolver) = &mut self.mode {
            // Bucketing keys in bundles: `targetingKey` is the local visitor id.
            let _ = resolver.var("visitor.id");
        }
        Ok(Expr::Fractional { key, buckets })
    }
}

/// A JSON path step: `.name` where the key is a plain identifier, `["na.me"]` otherwise.
pub fn key_segment(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        format!(".{key}")
    } else {
        format!("[{}]", serde_json::Value::String(key.to_owned()))
    }
}

/// Context slots (the first 64) that must hold a truthy value for `expr` to be
/// truthy: a necessary condition, derived from the operators' semantics. Deciding
/// rejects a campaign whose required facts the context lacks with one bit test,
/// without evaluating anything ("index campaigns by the facts they test").
/// Conservative: an operator it cannot reason about requires nothing.
pub fn required_slots(expr: &Expr) -> u64 {
    fn slot_of(expr: &Expr) -> Option<u16> {
        match expr {
            Expr::Var { path: VarPath::Slot(s), default: None } if *s < 64 => Some(*s),
            _ => None,
        }
    }
    /// A literal no falsy value (null, false, 0, "", []) equals, loosely or strictly.
    fn unmatched_by_falsy(d: &Datum<'_>) -> bool {
        match d {
            Datum::Str(s) => !s.is_empty() && super::value::to_number(d) != 0.0,
            Datum::Num(n) => *n != 0.0 && !n.is_nan(),
            Datum::Bool(b) => *b,
            _ => false,
        }
    }
    let bit = |s: u16| 1u64 << s;
    match expr {
        Expr::And(items) => items.iter().fold(0, |mask, e| mask | required_slots(e)),
        Expr::Or(items) if !items.is_empty() => items.iter().fold(u64::MAX, |mask, e| mask & required_slots(e)),
        Expr::Truthy(inner) => required_slots(inner),
        Expr::InSet { needle, set } => match slot_of(needle) {
            Some(s) if set.iter().all(unmatched_by_falsy) => bit(s),
            _ => 0,
        },
        Expr::Equals { negate: false, left, right, .. } => match (slot_of(left), &**right, &**left, slot_of(right)) {
            (Some(s), Expr::Lit(lit), _, _) | (_, _, Expr::Lit(lit), Some(s)) if unmatched_by_falsy(lit) => bit(s),
            _ => 0,
        },
        // A falsy fact is 0 (or NaN) as a number: `x > n` needs it when n >= 0.
        Expr::Compare { op, args } if args.len() == 2 => match (slot_of(&args[0]), &args[1]) {
            (Some(s), Expr::Lit(Datum::Num(n)))
                if (*op == CompareOp::Gt && *n >= 0.0) || (*op == CompareOp::Ge && *n > 0.0) =>
            {
                bit(s)
            }
            _ => 0,
        },
        Expr::Iterate { kind: IterKind::Some | IterKind::All, list, .. } => slot_of(list).map_or(0, bit),
        Expr::Var { .. } => slot_of(expr).map_or(0, bit),
        // Specialized shapes need exactly what their generic form needs.
        Expr::NumCmp { general, .. }
        | Expr::Between { general, .. }
        | Expr::StrEq { general, .. }
        | Expr::InStrSet { general, .. }
        | Expr::SomeFieldEq { general, .. } => required_slots(general),
        _ => 0,
    }
}
