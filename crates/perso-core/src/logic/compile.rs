//! JsonLogic JSON -> nodes of a [`Logic`] arena, the compact form conditions are
//! evaluated in.
//!
//! Compiling happens once, natively (`perso publish`) or when a host compiles a JSON
//! bundle. It resolves what can be resolved then: operator names become node kinds,
//! literals go to the literal table, `var` paths are split once, and — in bundle
//! conditions — every top-level context path is interned into a slot number, so
//! evaluation indexes an array instead of walking JSON. `in` over a literal list
//! becomes an [`Node::InSet`], and the clause shapes bundles are made of get a
//! specialized node ([`Node::NumCmp`] and siblings) beside their generic form.
//!
//! Two modes: [`Mode::Dynamic`] is JsonLogic as json-logic-js runs it (any data,
//! computed `var` paths), used by `apply`; [`Mode::Schema`] is for bundle conditions,
//! where paths must be literal (so the bundle's references are known and a host can
//! collect only those) and perso's domain operators are available.

use super::ir::{ArithOp, CompareOp, IterKind, Logic, Node, NodeId, VarPath};
use super::value::Datum;
use crate::limits::{MAX_DEPTH, MAX_NODES_PER_CONDITION};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::Value;

static NULL_RULE: Value = Value::Null;

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
    #[error("more than {MAX_NODES_PER_CONDITION} operators in one condition")]
    TooLarge,
    #[error("needed more than {limit} units of work to evaluate (docs/bundle-format.md, \"Limits\")")]
    OverBudget { limit: u64 },
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

/// Where every node came from, for explain and lints (kept only when asked for:
/// the compiled bundle does not carry it): its JSON path as a marketer reads it
/// (`campaigns[3].condition.and[1]`) and as a JSON Pointer into the source
/// (`/campaigns/3/condition/and/1`).
#[derive(Debug, Clone, Default)]
pub struct NodePaths {
    paths: Vec<Option<(String, String)>>,
}

impl NodePaths {
    pub fn get(&self, id: NodeId) -> Option<&str> {
        self.paths.get(id.index()).and_then(|p| p.as_ref()).map(|(path, _)| path.as_str())
    }

    pub fn pointer(&self, id: NodeId) -> Option<&str> {
        self.paths.get(id.index()).and_then(|p| p.as_ref()).map(|(_, pointer)| pointer.as_str())
    }

    fn set(&mut self, id: NodeId, path: String, pointer: String) {
        if self.paths.len() <= id.index() {
            self.paths.resize(id.index().saturating_add(1), None);
        }
        if let Some(slot) = self.paths.get_mut(id.index()) {
            *slot = Some((path, pointer));
        }
    }
}

/// Where a rule is in its document, for node paths.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'o> {
    /// JSON path of the rule (`campaigns[3].condition`), the prefix of every error.
    pub path: &'o str,
    /// JSON Pointer of the rule (`/campaigns/3/condition`).
    pub pointer: &'o str,
}

/// Compiles `rule` into `logic`, returning the id of its root node. `path` is the
/// rule's JSON path in its document (for errors and, with `paths`, for every node).
pub fn compile(
    rule: &Value,
    logic: &mut Logic,
    mode: Mode<'_>,
    origin: Origin<'_>,
    paths: Option<&mut NodePaths>,
) -> Result<NodeId, LogicError> {
    let mut compiler = Compiler {
        logic,
        mode,
        nodes: 0,
        base: origin.path,
        base_pointer: origin.pointer,
        steps: Vec::new(),
        origin: 0,
        paths,
    };
    compiler.expr(rule, 0, false)
}

/// A standalone rule (plain JsonLogic, as `apply` runs it).
pub fn compile_rule(rule: &Value) -> Result<(Logic, NodeId), LogicError> {
    let mut logic = Logic::default();
    let root = compile(rule, &mut logic, Mode::Dynamic, Origin { path: "rule", pointer: "" }, None)?;
    Ok((logic, root))
}

/// One step of a JSON path, kept as data and only rendered when needed.
#[derive(Clone, Copy)]
enum Step<'r> {
    Key(&'r str),
    Index(usize),
}

struct Compiler<'m, 'r, 'l, 'p> {
    logic: &'l mut Logic,
    mode: Mode<'m>,
    nodes: usize,
    /// JSON path of the rule, and the steps to the node being compiled.
    base: &'r str,
    base_pointer: &'r str,
    steps: Vec<Step<'r>>,
    /// How many of `steps` lead to the JSON value being compiled (the rest name the
    /// operator key inside it): a node's path is the value's, not its operator's.
    origin: usize,
    paths: Option<&'p mut NodePaths>,
}

fn operands(args: &Value) -> &[Value] {
    match args {
        Value::Array(items) => items.as_slice(),
        other => core::slice::from_ref(other),
    }
}

impl<'r> Compiler<'_, 'r, '_, '_> {
    fn path(&self) -> String {
        self.path_to(self.steps.len())
    }

    fn path_to(&self, len: usize) -> String {
        let mut path = self.base.to_owned();
        for step in self.steps.iter().take(len) {
            match step {
                Step::Key(key) => path.push_str(&key_segment(key)),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }

    fn pointer_to(&self, len: usize) -> String {
        let mut pointer = self.base_pointer.to_owned();
        for step in self.steps.iter().take(len) {
            pointer.push('/');
            match step {
                Step::Key(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Step::Index(i) => pointer.push_str(&i.to_string()),
            }
        }
        pointer
    }

    fn fail(&self, problem: LogicProblem) -> LogicError {
        LogicError { path: self.path(), problem }
    }

    fn schema(&self) -> bool {
        matches!(self.mode, Mode::Schema(_))
    }

    /// Adds a node, recording its JSON path when paths are kept.
    fn push(&mut self, node: Node) -> NodeId {
        let id = self.logic.push(node);
        if self.paths.is_some() {
            let (path, pointer) = (self.path_to(self.origin), self.pointer_to(self.origin));
            if let Some(paths) = self.paths.as_deref_mut() {
                paths.set(id, path, pointer);
            }
        }
        id
    }

    fn lit(&mut self, value: Datum<'static>) -> NodeId {
        let id = self.logic.push_lit(value);
        self.push(Node::Lit(id))
    }

    fn literal_of(&self, id: NodeId) -> Option<&Datum<'static>> {
        match self.logic.node(id) {
            Node::Lit(lit) => Some(self.logic.lit(*lit)),
            _ => None,
        }
    }

    fn at<T>(
        &mut self,
        steps: &[Step<'r>],
        f: impl FnOnce(&mut Self) -> Result<T, LogicError>,
    ) -> Result<T, LogicError> {
        let len = self.steps.len();
        self.steps.extend_from_slice(steps);
        let result = f(self);
        self.steps.truncate(len);
        result
    }

    fn expr(&mut self, rule: &'r Value, depth: usize, in_scope: bool) -> Result<NodeId, LogicError> {
        let outer = core::mem::replace(&mut self.origin, self.steps.len());
        let result = self.value(rule, depth, in_scope);
        self.origin = outer;
        result
    }

    fn value(&mut self, rule: &'r Value, depth: usize, in_scope: bool) -> Result<NodeId, LogicError> {
        if depth > MAX_DEPTH {
            return Err(self.fail(LogicProblem::TooDeep));
        }
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_NODES_PER_CONDITION {
            return Err(self.fail(LogicProblem::TooLarge));
        }
        match rule {
            Value::Array(items) => {
                let compiled = self.each(items, depth, in_scope)?;
                let literals: Option<Vec<Datum<'static>>> =
                    compiled.iter().map(|id| self.literal_of(*id).cloned()).collect();
                match literals {
                    Some(values) => {
                        // One literal for the whole list: its elements' nodes (the last
                        // ones pushed, by construction) go.
                        if let Some(first) = compiled.first() {
                            let consecutive = compiled
                                .iter()
                                .enumerate()
                                .all(|(i, id)| id.index().checked_sub(i) == Some(first.index()));
                            if consecutive && self.logic.nodes.len().checked_sub(compiled.len()) == Some(first.index())
                            {
                                let lits_from = match self.logic.node(*first) {
                                    Node::Lit(lit) => lit.0 as usize,
                                    _ => self.logic.lits.len(),
                                };
                                self.logic.nodes.truncate(first.index());
                                self.logic.lits.truncate(lits_from);
                            }
                        }
                        Ok(self.lit(Datum::List(values)))
                    }
                    None => {
                        let span = self.logic.push_args(&compiled);
                        Ok(self.push(Node::Array(span)))
                    }
                }
            }
            Value::Object(map) if map.len() == 1 => {
                let Some((op, args)) = map.iter().next() else {
                    return Ok(self.lit(Datum::from_json(rule).into_static()));
                };
                let op = op.as_str();
                self.at(&[Step::Key(op)], |c| c.operator(op, args, depth.saturating_add(1), in_scope))
            }
            other => Ok(self.lit(Datum::from_json(other).into_static())),
        }
    }

    fn each(&mut self, items: &'r [Value], depth: usize, in_scope: bool) -> Result<Vec<NodeId>, LogicError> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.at(&[Step::Index(i)], |c| c.expr(item, depth, in_scope)))
            .collect()
    }

    /// The operands compiled, as a span of the arena's operand pool.
    fn span_of(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<super::ir::Span, LogicError> {
        let ids = self.operands(args, depth, in_scope)?;
        Ok(self.logic.push_args(&ids))
    }

    fn operands(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Vec<NodeId>, LogicError> {
        match args {
            Value::Array(items) => self.each(items, depth, in_scope),
            other => Ok(alloc::vec![self.expr(other, depth, in_scope)?]),
        }
    }

    fn operator(&mut self, op: &'r str, args: &'r Value, depth: usize, in_scope: bool) -> Result<NodeId, LogicError> {
        let node = match op {
            "var" => return self.var(args, depth, in_scope),
            "missing" => {
                let keys = self.operands(args, depth, in_scope)?;
                if self.schema() {
                    Node::MissingPaths { need: None, paths: self.literal_paths("missing", keys, in_scope)? }
                } else {
                    Node::Missing { keys: self.logic.push_args(&keys), in_scope }
                }
            }
            "missing_some" => {
                let mut a = self.operands(args, depth, in_scope)?.into_iter();
                let (Some(need), Some(keys)) = (a.next(), a.next()) else {
                    return Err(self.fail(LogicProblem::Arguments { op: "missing_some", expected: "[count, [paths]]" }));
                };
                if self.schema() {
                    let paths = self.literal_paths("missing_some", alloc::vec![keys], in_scope)?;
                    Node::MissingPaths { need: Some(need), paths }
                } else {
                    Node::MissingSome { need, keys, in_scope }
                }
            }
            "if" | "?:" => Node::If(self.span_of(args, depth, in_scope)?),
            "and" => Node::And(self.span_of(args, depth, in_scope)?),
            "or" => Node::Or(self.span_of(args, depth, in_scope)?),
            "!" => Node::Not(self.first(args, depth, in_scope)?),
            "!!" => Node::Truthy(self.first(args, depth, in_scope)?),
            "==" | "===" | "!=" | "!==" => {
                let (left, right) = self.two(args, depth, in_scope)?;
                let strict = op.len() == 3;
                let negate = op.starts_with('!');
                let general = self.push(Node::Equals { strict, negate, left, right });
                return Ok(self.specialize_equals(general, negate, left, right));
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
                let span = self.logic.push_args(&args);
                let general = self.push(Node::Compare { op: op_kind, args: span });
                return Ok(self.specialize_compare(general, op_kind, &args));
            }
            "in" => {
                let (needle, haystack) = self.two(args, depth, in_scope)?;
                match self.logic.node(haystack) {
                    Node::Lit(set) if matches!(self.logic.lit(*set), Datum::List(_)) => {
                        let set = *set;
                        let general = self.push(Node::InSet { needle, set });
                        return Ok(self.specialize_in(general, needle, set));
                    }
                    _ => Node::In { needle, haystack },
                }
            }
            "cat" => Node::Cat(self.span_of(args, depth, in_scope)?),
            "substr" => Node::Substr(self.span_of(args, depth, in_scope)?),
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
                Node::Arith { op, args: self.span_of(args, depth, in_scope)? }
            }
            "merge" => Node::Merge(self.span_of(args, depth, in_scope)?),
            "map" | "filter" | "all" | "none" | "some" => {
                let kind = match op {
                    "map" => IterKind::Map,
                    "filter" => IterKind::Filter,
                    "all" => IterKind::All,
                    "none" => IterKind::None,
                    _ => IterKind::Some,
                };
                let items = operands(args);
                let list =
                    self.at(&[Step::Index(0)], |c| c.expr(items.first().unwrap_or(&NULL_RULE), depth, in_scope))?;
                let body = self.at(&[Step::Index(1)], |c| c.expr(items.get(1).unwrap_or(&NULL_RULE), depth, true))?;
                let general = self.push(Node::Iterate { kind, list, body });
                return Ok(if kind == IterKind::Some { self.specialize_some(general, list, body) } else { general });
            }
            "reduce" => {
                let items = operands(args);
                let list =
                    self.at(&[Step::Index(0)], |c| c.expr(items.first().unwrap_or(&NULL_RULE), depth, in_scope))?;
                let body = self.at(&[Step::Index(1)], |c| c.expr(items.get(1).unwrap_or(&NULL_RULE), depth, true))?;
                let initial =
                    self.at(&[Step::Index(2)], |c| c.expr(items.get(2).unwrap_or(&NULL_RULE), depth, in_scope))?;
                Node::Reduce { list, body, initial }
            }
            "starts_with" | "ends_with" => {
                let (a, b) = self.two(args, depth, in_scope)?;
                if op == "starts_with" {
                    Node::StartsWith(a, b)
                } else {
                    Node::EndsWith(a, b)
                }
            }
            "segment" => {
                let id = match args {
                    Value::String(id) => id.as_str(),
                    Value::Array(items) if items.len() == 1 => items.first().and_then(Value::as_str).unwrap_or(""),
                    _ => "",
                };
                let Mode::Schema(resolver) = &mut self.mode else {
                    return Err(self.fail(LogicProblem::SegmentOutsideBundle));
                };
                if id.is_empty() {
                    return Err(
                        self.fail(LogicProblem::Arguments { op: "segment", expected: "a segment id (a string)" })
                    );
                }
                match resolver.segment(id) {
                    Some(index) => Node::Segment(index),
                    None => return Err(self.fail(LogicProblem::UnknownSegment(id.to_owned()))),
                }
            }
            "fractional" => self.fractional(args, depth, in_scope)?,
            "sem_ver" => Node::SemVer(self.span_of(args, depth, in_scope)?),
            "log" => Node::Log(self.first(args, depth, in_scope)?),
            other => return Err(self.fail(LogicProblem::UnknownOperator(other.to_owned()))),
        };
        Ok(self.push(node))
    }

    fn first(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<NodeId, LogicError> {
        match self.operands(args, depth, in_scope)?.into_iter().next() {
            Some(id) => Ok(id),
            None => Ok(self.lit(Datum::Null)),
        }
    }

    /// Two operands; json-logic-js reads missing ones as `undefined`, but a bundle
    /// condition with the wrong count is a mistake worth reporting.
    fn two(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<(NodeId, NodeId), LogicError> {
        let ops = self.operands(args, depth, in_scope)?;
        if self.schema() && ops.len() != 2 {
            return Err(self.fail(LogicProblem::Arguments { op: "this operator", expected: "exactly two operands" }));
        }
        let mut it = ops.into_iter();
        let left = match it.next() {
            Some(id) => id,
            None => self.push(Node::Undefined),
        };
        let right = match it.next() {
            Some(id) => id,
            None => self.push(Node::Undefined),
        };
        Ok((left, right))
    }

    fn var(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<NodeId, LogicError> {
        let items = operands(args);
        let default = match items.get(1) {
            Some(d) => Some(self.at(&[Step::Index(1)], |c| c.expr(d, depth, in_scope))?),
            None => None,
        };
        let path = match items.first() {
            None | Some(Value::Null) => VarPath::Whole { in_scope },
            Some(Value::String(s)) if s.is_empty() => VarPath::Whole { in_scope },
            Some(Value::String(s)) if self.schema() && !in_scope && s == "$flagd.flagKey" => {
                let Mode::Schema(resolver) = &self.mode else { return Err(self.fail(LogicProblem::BadPath)) };
                let owner = resolver.owner().to_owned();
                return Ok(self.lit(Datum::Str(Cow::Owned(owner))));
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
                let path = self.at(&[Step::Index(0)], |c| c.expr(other, depth, in_scope))?;
                return Ok(self.push(Node::VarComputed { path, default, in_scope }));
            }
            Some(_) => return Err(self.fail(LogicProblem::BadPath)),
        };
        if self.schema() && matches!(path, VarPath::Whole { in_scope: false }) {
            return Err(self.fail(LogicProblem::ComputedPath("var")));
        }
        Ok(self.push(Node::Var { path, default }))
    }

    fn path_of(&mut self, path: &str, in_scope: bool) -> VarPath {
        if let (false, Mode::Schema(resolver)) = (in_scope, &mut self.mode) {
            return resolver.var(path);
        }
        VarPath::Keys { keys: path.split('.').map(Box::from).collect(), in_scope }
    }

    /// `missing` takes paths; in bundle conditions they must be literal, and are
    /// resolved now (each keeps its name, to report it).
    fn literal_paths(
        &mut self,
        op: &'static str,
        keys: Vec<NodeId>,
        in_scope: bool,
    ) -> Result<Vec<(super::ir::LitId, VarPath)>, LogicError> {
        let mut names = Vec::new();
        for key in keys {
            match self.literal_of(key) {
                Some(Datum::List(list)) => names.extend(list.iter().cloned()),
                Some(name @ (Datum::Str(_) | Datum::Num(_))) => names.push(name.clone()),
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
            resolved.push((self.logic.push_lit(name), var));
        }
        Ok(resolved)
    }

    fn fractional(&mut self, args: &'r Value, depth: usize, in_scope: bool) -> Result<Node, LogicError> {
        let items = operands(args);
        let mut key = None;
        let mut buckets = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Array(pair) => {
                    let variant = self.at(&[Step::Index(i), Step::Index(0)], |c| {
                        c.expr(pair.first().unwrap_or(&NULL_RULE), depth, in_scope)
                    })?;
                    let weight = match pair.get(1) {
                        Some(w) => self.at(&[Step::Index(i), Step::Index(1)], |c| c.expr(w, depth, in_scope))?,
                        None => self.lit(Datum::Num(1.0)),
                    };
                    buckets.push((variant, weight));
                }
                other if i == 0 => key = Some(self.at(&[Step::Index(0)], |c| c.expr(other, depth, in_scope))?),
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
        let flat: Vec<NodeId> = buckets.iter().flat_map(|(v, w)| [*v, *w]).collect();
        Ok(Node::Fractional { key, buckets: self.logic.push_args(&flat) })
    }

    // ----- specialized clause shapes (bundle conditions only) -----

    /// A context path read as is (a slot or a derived fact, no default).
    fn plain_path(&self, id: NodeId) -> Option<VarPath> {
        if !self.schema() {
            return None;
        }
        match self.logic.node(id) {
            Node::Var { path: p @ (VarPath::Slot(_) | VarPath::Derived(_)), default: None } => Some(p.clone()),
            _ => None,
        }
    }

    fn number(&self, id: NodeId) -> Option<f64> {
        match self.literal_of(id) {
            Some(Datum::Num(n)) if n.is_finite() => Some(*n),
            _ => None,
        }
    }

    /// The literal id of a string literal node.
    fn text(&self, id: NodeId) -> Option<super::ir::LitId> {
        match self.logic.node(id) {
            Node::Lit(lit) if matches!(self.logic.lit(*lit), Datum::Str(_)) => Some(*lit),
            _ => None,
        }
    }

    fn specialize_compare(&mut self, general: NodeId, op: CompareOp, args: &[NodeId]) -> NodeId {
        match args {
            [a, b] => match (self.plain_path(*a), self.number(*b)) {
                (Some(path), Some(k)) => self.push(Node::NumCmp { path, op, k, general }),
                _ => general,
            },
            [lo, x, hi] => match (self.plain_path(*x), self.number(*lo), self.number(*hi)) {
                (Some(path), Some(lo), Some(hi)) => {
                    self.push(Node::Between { path, lo, hi, inclusive: op == CompareOp::Le, general })
                }
                _ => general,
            },
            _ => general,
        }
    }

    fn specialize_equals(&mut self, general: NodeId, negate: bool, left: NodeId, right: NodeId) -> NodeId {
        match (self.plain_path(left), self.text(right)) {
            (Some(path), Some(k)) => self.push(Node::StrEq { path, k, negate, general }),
            _ => general,
        }
    }

    fn specialize_in(&mut self, general: NodeId, needle: NodeId, set: super::ir::LitId) -> NodeId {
        let Some(path) = self.plain_path(needle) else { return general };
        let strings = matches!(self.logic.lit(set), Datum::List(items) if items.iter().all(|d| d.as_str().is_some()));
        if strings {
            self.push(Node::InStrSet { path, set, general })
        } else {
            general
        }
    }

    fn specialize_some(&mut self, general: NodeId, list: NodeId, body: NodeId) -> NodeId {
        let Some(path) = self.plain_path(list) else { return general };
        let shape = match self.logic.node(body) {
            Node::Equals { negate: false, left, right, .. } => match (self.logic.node(*left), self.text(*right)) {
                (Node::Var { path: VarPath::Keys { keys, in_scope: true }, default: None }, Some(k))
                    if keys.len() == 1 =>
                {
                    keys.first().cloned().map(|key| (key, k))
                }
                _ => None,
            },
            _ => None,
        };
        match shape {
            Some((key, k)) => self.push(Node::SomeFieldEq { path, key, k, general }),
            None => general,
        }
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
