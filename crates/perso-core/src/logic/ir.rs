//! The compiled form of conditions: one arena of [`Node`]s per bundle, children
//! before parents, each node named by its index ([`NodeId`]).
//!
//! Node ids are what every pass over a condition talks in: `explain` names the
//! sub-condition that failed by id, the cost estimate names the costly one, lints and
//! `references()` are passes over the arena, and the compiler's source map turns an
//! id back into the JSON path a marketer wrote. Children always have smaller ids than
//! their parent, so a loaded arena is acyclic by a single bounds check per edge and
//! the depth of every node is computed in one forward pass ([`Logic::validate`]);
//! nothing here recurses on untrusted input before that check.
//!
//! Literal values live in their own table ([`Logic::lits`]) and are encoded flat
//! (see [`LitToken`]), so decoding a binary bundle never recurses either.

use super::value::Datum;
use crate::limits::MAX_DEPTH;
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// A node's index in its [`Logic`] arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A run of operand ids in [`Logic::args`] (one pool for the whole arena: no
/// allocation per node when a bundle loads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

/// A literal value's index in [`Logic::lits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LitId(pub u32);

/// How a `var` resolves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum VarPath {
    /// The whole data (or the current item inside `map`/`filter`/...).
    Whole { in_scope: bool },
    /// A top-level context path interned at load (bundle conditions).
    Slot(u16),
    /// A fact the engine derives from the visitor state (bundle conditions), e.g.
    /// `session.time_on_site_s`; see [`crate::context::DERIVED_PATHS`].
    Derived(u8),
    /// Keys walked from the data root (plain JsonLogic) or from the current item.
    Keys { keys: Box<[Box<str>]>, in_scope: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IterKind {
    Map,
    Filter,
    All,
    None,
    Some,
}

/// One operation. Operands are ids of earlier nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Node {
    Lit(LitId),
    /// A missing operand: JavaScript's `undefined` (`== null` but not `=== null`).
    Undefined,
    /// An array literal holding logic: evaluated element by element.
    Array(Span),
    Var {
        path: VarPath,
        default: Option<NodeId>,
    },
    /// `var` with a computed path (plain JsonLogic only).
    VarComputed {
        path: NodeId,
        default: Option<NodeId>,
        in_scope: bool,
    },
    Missing {
        keys: Span,
        in_scope: bool,
    },
    MissingSome {
        need: NodeId,
        keys: NodeId,
        in_scope: bool,
    },
    /// `missing` / `missing_some` with literal paths resolved at compile time (bundle
    /// conditions); `need: None` is plain `missing`. Each path keeps its name (a literal).
    MissingPaths {
        need: Option<NodeId>,
        paths: Vec<(LitId, VarPath)>,
    },
    If(Span),
    And(Span),
    Or(Span),
    Not(NodeId),
    Truthy(NodeId),
    Equals {
        strict: bool,
        negate: bool,
        left: NodeId,
        right: NodeId,
    },
    /// `<`, `<=`, `>`, `>=`; with three operands `<`/`<=` test "between".
    Compare {
        op: CompareOp,
        args: Span,
    },
    /// `in` against a literal list (a [`Datum::List`] literal): strict equality.
    InSet {
        needle: NodeId,
        set: LitId,
    },
    In {
        needle: NodeId,
        haystack: NodeId,
    },
    Cat(Span),
    Substr(Span),
    Arith {
        op: ArithOp,
        args: Span,
    },
    Merge(Span),
    Iterate {
        kind: IterKind,
        list: NodeId,
        body: NodeId,
    },
    Reduce {
        list: NodeId,
        body: NodeId,
        initial: NodeId,
    },
    StartsWith(NodeId, NodeId),
    EndsWith(NodeId, NodeId),
    Segment(u16),
    /// flagd `fractional`; `key: None` buckets by `$flagd.flagKey + targetingKey`.
    /// `buckets`: (variant, weight) pairs, flattened.
    Fractional {
        key: Option<NodeId>,
        buckets: Span,
    },
    SemVer(Span),
    Log(NodeId),
    /// Specialized clause shapes of bundle conditions: a fast path when the context
    /// value has the expected type, else the generic node they were made from
    /// (`general`), so their semantics are exactly the generic ones.
    NumCmp {
        path: VarPath,
        op: CompareOp,
        k: f64,
        general: NodeId,
    },
    Between {
        path: VarPath,
        lo: f64,
        hi: f64,
        inclusive: bool,
        general: NodeId,
    },
    /// `k` and `set` are the general form's own literals (a string; a list of strings).
    StrEq {
        path: VarPath,
        k: LitId,
        negate: bool,
        general: NodeId,
    },
    InStrSet {
        path: VarPath,
        set: LitId,
        general: NodeId,
    },
    SomeFieldEq {
        path: VarPath,
        key: Box<str>,
        k: LitId,
        general: NodeId,
    },
}

impl Node {
    /// Literal ids this node refers to directly.
    fn for_each_lit(&self, mut f: impl FnMut(LitId)) {
        match self {
            Node::Lit(id)
            | Node::InSet { set: id, .. }
            | Node::StrEq { k: id, .. }
            | Node::InStrSet { set: id, .. }
            | Node::SomeFieldEq { k: id, .. } => f(*id),
            Node::MissingPaths { paths, .. } => paths.iter().for_each(|(name, _)| f(*name)),
            _ => {}
        }
    }

    /// Context slots and derived facts this node reads directly.
    pub fn var_path(&self) -> Option<&VarPath> {
        match self {
            Node::Var { path, .. }
            | Node::NumCmp { path, .. }
            | Node::Between { path, .. }
            | Node::StrEq { path, .. }
            | Node::InStrSet { path, .. }
            | Node::SomeFieldEq { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// An arena of condition nodes and their literals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Logic {
    pub nodes: Vec<Node>,
    /// Operand lists of every node, by [`Span`].
    pub args: Vec<NodeId>,
    #[serde(serialize_with = "lit_codec::serialize")]
    pub lits: Vec<Datum<'static>>,
}

/// Why a loaded arena cannot be used (a corrupt or hand-made binary bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArenaFault {
    /// Node `node` refers to an operand that is not an earlier node.
    ForwardReference { node: u32 },
    /// Node `node` refers to a literal that does not exist, or of the wrong shape.
    BadLiteral { node: u32 },
    /// Node `node` is nested deeper than [`MAX_DEPTH`].
    TooDeep { node: u32 },
    /// Node `node` reads a slot, derived fact or segment the bundle does not have.
    BadReference { node: u32 },
}

static UNDEFINED: Node = Node::Undefined;

impl Logic {
    pub fn node(&self, id: NodeId) -> &Node {
        self.nodes.get(id.index()).unwrap_or(&UNDEFINED)
    }

    /// The operands a span names (empty for a span out of range).
    pub fn args(&self, span: Span) -> &[NodeId] {
        let start = span.start as usize;
        self.args.get(start..start.saturating_add(span.len as usize)).unwrap_or(&[])
    }

    pub fn push_args(&mut self, ids: &[NodeId]) -> Span {
        let start = self.args.len() as u32;
        self.args.extend_from_slice(ids);
        Span { start, len: ids.len() as u32 }
    }

    /// Calls `f` on every operand id of `node` (the `general` of a specialized node included).
    pub fn for_each_child(&self, node: &Node, mut f: impl FnMut(NodeId)) {
        let mut all = |ids: &[NodeId]| ids.iter().copied().for_each(&mut f);
        match node {
            Node::Lit(_) | Node::Undefined | Node::Segment(_) => {}
            Node::Var { default, .. } => {
                if let Some(d) = default {
                    all(&[*d]);
                }
            }
            Node::VarComputed { path, default, .. } => {
                all(&[*path]);
                if let Some(d) = default {
                    all(&[*d]);
                }
            }
            Node::Missing { keys, .. } => all(self.args(*keys)),
            Node::MissingSome { need, keys, .. } => all(&[*need, *keys]),
            Node::MissingPaths { need, .. } => {
                if let Some(n) = need {
                    all(&[*n]);
                }
            }
            Node::Array(items)
            | Node::If(items)
            | Node::And(items)
            | Node::Or(items)
            | Node::Cat(items)
            | Node::Substr(items)
            | Node::Merge(items)
            | Node::SemVer(items)
            | Node::Compare { args: items, .. }
            | Node::Arith { args: items, .. } => all(self.args(*items)),
            Node::Not(a) | Node::Truthy(a) | Node::Log(a) => all(&[*a]),
            Node::Equals { left, right, .. } => all(&[*left, *right]),
            Node::InSet { needle, .. } => all(&[*needle]),
            Node::In { needle, haystack } => all(&[*needle, *haystack]),
            Node::Iterate { list, body, .. } => all(&[*list, *body]),
            Node::Reduce { list, body, initial } => all(&[*list, *body, *initial]),
            Node::StartsWith(a, b) | Node::EndsWith(a, b) => all(&[*a, *b]),
            Node::Fractional { key, buckets } => {
                if let Some(k) = key {
                    all(&[*k]);
                }
                all(self.args(*buckets));
            }
            Node::NumCmp { general, .. }
            | Node::Between { general, .. }
            | Node::StrEq { general, .. }
            | Node::InStrSet { general, .. }
            | Node::SomeFieldEq { general, .. } => all(&[*general]),
        }
    }

    pub fn lit(&self, id: LitId) -> &Datum<'static> {
        self.lits.get(id.0 as usize).unwrap_or(&super::value::NULL)
    }

    pub fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        id
    }

    pub fn push_lit(&mut self, value: Datum<'static>) -> LitId {
        let id = LitId(self.lits.len() as u32);
        self.lits.push(value);
        id
    }

    /// Depth of every node (a leaf is 1), computed forward: children come first.
    pub fn depths(&self) -> Vec<u8> {
        let mut depth = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let mut d = 1u8;
            self.for_each_child(node, |child| {
                let below = depth.get(child.index()).copied().unwrap_or(0u8);
                d = d.max(below.saturating_add(1));
            });
            depth.push(d);
        }
        depth
    }

    /// Checks the arena's structure: operands are earlier nodes, literals exist (an
    /// `InSet` names a list), slots, derived facts and segments are in range, and no
    /// node is deeper than [`MAX_DEPTH`]. `slots` and `segments` are the bundle's counts.
    pub fn validate(&self, slots: usize, segments: usize) -> Result<(), ArenaFault> {
        let derived = crate::context::DERIVED_PATHS.len();
        let path_ok = |path: &VarPath| match path {
            VarPath::Slot(s) => usize::from(*s) < slots,
            VarPath::Derived(d) => usize::from(*d) < derived,
            VarPath::Whole { .. } | VarPath::Keys { .. } => true,
        };
        for (index, node) in self.nodes.iter().enumerate() {
            let at = index as u32;
            let mut forward = false;
            self.for_each_child(node, |child| forward |= child.0 >= at);
            let spans_ok = match node {
                Node::Array(s)
                | Node::If(s)
                | Node::And(s)
                | Node::Or(s)
                | Node::Cat(s)
                | Node::Substr(s)
                | Node::Merge(s)
                | Node::SemVer(s)
                | Node::Missing { keys: s, .. }
                | Node::Compare { args: s, .. }
                | Node::Arith { args: s, .. } => {
                    (s.start as usize).checked_add(s.len as usize).is_some_and(|end| end <= self.args.len())
                }
                Node::Fractional { buckets: s, .. } => {
                    s.len % 2 == 0
                        && (s.start as usize).checked_add(s.len as usize).is_some_and(|end| end <= self.args.len())
                }
                _ => true,
            };
            if !spans_ok {
                return Err(ArenaFault::ForwardReference { node: at });
            }
            if forward {
                return Err(ArenaFault::ForwardReference { node: at });
            }
            let mut bad_lit = false;
            node.for_each_lit(|lit| bad_lit |= lit.0 as usize >= self.lits.len());
            match node {
                Node::InSet { set, .. } => bad_lit |= !matches!(self.lits.get(set.0 as usize), Some(Datum::List(_))),
                Node::InStrSet { set, .. } => {
                    let strings = |items: &[Datum<'_>]| items.iter().all(|i| i.as_str().is_some());
                    bad_lit |= !matches!(self.lits.get(set.0 as usize), Some(Datum::List(items)) if strings(items));
                }
                Node::StrEq { k, .. } | Node::SomeFieldEq { k, .. } => {
                    bad_lit |= !matches!(self.lits.get(k.0 as usize), Some(Datum::Str(_)))
                }
                _ => {}
            }
            if bad_lit {
                return Err(ArenaFault::BadLiteral { node: at });
            }
            let bad_ref = match node {
                Node::Segment(s) => usize::from(*s) >= segments,
                Node::MissingPaths { paths, .. } => !paths.iter().all(|(_, p)| path_ok(p)),
                other => other.var_path().is_some_and(|p| !path_ok(p)),
            };
            if bad_ref {
                return Err(ArenaFault::BadReference { node: at });
            }
        }
        if let Some(index) = self.depths().iter().position(|d| usize::from(*d) > MAX_DEPTH + 1) {
            return Err(ArenaFault::TooDeep { node: index as u32 });
        }
        Ok(())
    }
}

/// Literal values as a flat token stream over a table of distinct strings, rebuilt
/// with an explicit stack: decoding a hostile binary bundle never recurses, nesting
/// deeper than [`MAX_DEPTH`] is refused, and a string used by many conditions (a
/// referrer host, a category) is stored once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LitToken {
    Null,
    Bool(bool),
    Num(f64),
    /// A string, by index in the string table.
    Str(u32),
    /// A list of the next `n` values.
    List(u32),
    /// An object of the next `n` (key, value) pairs.
    Map(u32),
    /// An object key, by index in the string table (only inside a [`LitToken::Map`]).
    Key(u32),
}

mod lit_codec {
    use super::*;
    use alloc::collections::BTreeMap;
    use serde::Serializer;

    #[derive(Serialize)]
    struct Table {
        strings: Vec<String>,
        tokens: Vec<LitToken>,
    }

    struct Flattener<'t> {
        index: BTreeMap<&'t str, u32>,
        strings: Vec<String>,
        tokens: Vec<LitToken>,
    }

    impl<'t> Flattener<'t> {
        fn string(&mut self, s: &'t str) -> u32 {
            if let Some(i) = self.index.get(s) {
                return *i;
            }
            let i = self.strings.len() as u32;
            self.strings.push(String::from(s));
            self.index.insert(s, i);
            i
        }

        fn value(&mut self, value: &'t Datum<'_>) {
            match value {
                Datum::Null => self.tokens.push(LitToken::Null),
                Datum::Bool(b) => self.tokens.push(LitToken::Bool(*b)),
                Datum::Num(n) => self.tokens.push(LitToken::Num(*n)),
                Datum::Str(s) => {
                    let i = self.string(s);
                    self.tokens.push(LitToken::Str(i));
                }
                Datum::List(items) => {
                    self.tokens.push(LitToken::List(items.len() as u32));
                    items.iter().for_each(|item| self.value(item));
                }
                Datum::Map(entries) => {
                    self.tokens.push(LitToken::Map(entries.len() as u32));
                    for (key, item) in entries {
                        let i = self.string(key);
                        self.tokens.push(LitToken::Key(i));
                        self.value(item);
                    }
                }
            }
        }
    }

    pub fn serialize<S: Serializer>(lits: &[Datum<'static>], serializer: S) -> Result<S::Ok, S::Error> {
        let mut flat = Flattener { index: BTreeMap::new(), strings: Vec::new(), tokens: Vec::new() };
        for lit in lits {
            flat.value(lit);
        }
        Table { strings: flat.strings, tokens: flat.tokens }.serialize(serializer)
    }

    /// An open container: its items so far, how many it still expects, and (for
    /// objects) the key waiting for its value.
    struct Open {
        items: Vec<Datum<'static>>,
        keys: Option<Vec<Cow<'static, str>>>,
        pending_key: Option<String>,
        remaining: u32,
    }

    pub(super) fn rebuild(strings: &[String], tokens: Vec<LitToken>) -> Option<Vec<Datum<'static>>> {
        let text = |i: u32| strings.get(i as usize).cloned();
        let mut done = Vec::new();
        let mut stack: Vec<Open> = Vec::new();
        for token in tokens {
            let value = match token {
                LitToken::Null => Datum::Null,
                LitToken::Bool(b) => Datum::Bool(b),
                LitToken::Num(n) => Datum::Num(n),
                LitToken::Str(i) => Datum::Str(Cow::Owned(text(i)?)),
                LitToken::Key(i) => {
                    let open = stack.last_mut()?;
                    if open.keys.is_none() || open.pending_key.is_some() {
                        return None;
                    }
                    open.pending_key = Some(text(i)?);
                    continue;
                }
                LitToken::List(_) | LitToken::Map(_) if stack.len() >= MAX_DEPTH => return None,
                LitToken::List(n) => {
                    stack.push(Open { items: Vec::new(), keys: None, pending_key: None, remaining: n });
                    if n > 0 {
                        continue;
                    }
                    finish(&mut stack)?
                }
                LitToken::Map(n) => {
                    stack.push(Open { items: Vec::new(), keys: Some(Vec::new()), pending_key: None, remaining: n });
                    if n > 0 {
                        continue;
                    }
                    finish(&mut stack)?
                }
            };
            let mut value = value;
            // Place the value, closing every container it completes.
            loop {
                let Some(open) = stack.last_mut() else {
                    done.push(value);
                    break;
                };
                if let Some(keys) = &mut open.keys {
                    keys.push(Cow::Owned(open.pending_key.take()?));
                }
                open.items.push(value);
                open.remaining = open.remaining.checked_sub(1)?;
                if open.remaining > 0 {
                    break;
                }
                value = finish(&mut stack)?;
            }
        }
        stack.is_empty().then_some(done)
    }

    fn finish(stack: &mut Vec<Open>) -> Option<Datum<'static>> {
        let open = stack.pop()?;
        Some(match open.keys {
            None => Datum::List(open.items),
            Some(keys) => Datum::Map(keys.into_iter().zip(open.items).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "json")]
    fn literal_tables_round_trip_flat() {
        let lits = alloc::vec![
            Datum::Null,
            Datum::List(alloc::vec![Datum::Num(1.0), Datum::List(alloc::vec![]), Datum::str("a")]).into_static(),
            Datum::Map(alloc::vec![
                (Cow::Borrowed("k"), Datum::Map(alloc::vec![])),
                (Cow::Borrowed("j"), Datum::Bool(true))
            ])
            .into_static(),
        ];
        let logic = Logic { nodes: alloc::vec![Node::Lit(LitId(1))], args: Vec::new(), lits };
        let bytes = postcard::to_allocvec(&logic).unwrap_or_default();
        assert_eq!(crate::program::wire::read_all::<Logic>(&bytes), Some(logic));
    }

    #[test]
    fn malformed_token_streams_are_refused() {
        use LitToken::*;
        let strings = [String::from("k")];
        assert_eq!(lit_codec::rebuild(&strings, alloc::vec![List(2), Null]), None, "unfinished list");
        assert_eq!(lit_codec::rebuild(&strings, alloc::vec![Map(1), Null]), None, "value without key");
        assert_eq!(lit_codec::rebuild(&strings, alloc::vec![Key(0)]), None, "key outside an object");
        assert_eq!(lit_codec::rebuild(&strings, alloc::vec![Str(1)]), None, "a string not in the table");
        let deep: Vec<LitToken> = (0..=MAX_DEPTH).map(|_| List(1)).chain(core::iter::once(Null)).collect();
        assert_eq!(lit_codec::rebuild(&strings, deep), None, "too deep");
    }

    #[test]
    fn forward_references_and_depth_are_checked() {
        let mut logic = Logic::default();
        let lit = logic.push_lit(Datum::Bool(true));
        let leaf = logic.push(Node::Lit(lit));
        logic.push(Node::Not(leaf));
        assert_eq!(logic.validate(0, 0), Ok(()));
        logic.nodes.push(Node::Not(NodeId(5)));
        assert_eq!(logic.validate(0, 0), Err(ArenaFault::ForwardReference { node: 2 }));
        logic.nodes.pop();
        let mut top = leaf;
        for _ in 0..MAX_DEPTH + 2 {
            top = logic.push(Node::Not(top));
        }
        assert!(matches!(logic.validate(0, 0), Err(ArenaFault::TooDeep { .. })));
        let mut slots = Logic::default();
        slots.push(Node::Var { path: VarPath::Slot(3), default: None });
        assert_eq!(slots.validate(3, 0), Err(ArenaFault::BadReference { node: 0 }));
    }
}

mod wire_impls {
    //! Reading the arena from the postcard format (see [`crate::program::wire`]); the
    //! variant indices are the declaration order of each enum above.
    use super::*;
    use crate::program::wire::{wire_struct, wire_unit_enum, Reader, Wire};

    impl Wire for NodeId {
        fn read(r: &mut Reader<'_>) -> Option<NodeId> {
            r.u32().map(NodeId)
        }
    }
    impl Wire for LitId {
        fn read(r: &mut Reader<'_>) -> Option<LitId> {
            r.u32().map(LitId)
        }
    }
    wire_struct!(Span { start, len });
    wire_unit_enum!(CompareOp { Lt, Le, Gt, Ge });
    wire_unit_enum!(ArithOp { Add, Sub, Mul, Div, Rem, Min, Max });
    wire_unit_enum!(IterKind { Map, Filter, All, None, Some });

    impl Wire for VarPath {
        fn read(r: &mut Reader<'_>) -> Option<VarPath> {
            Some(match r.variant()? {
                0 => VarPath::Whole { in_scope: r.bool()? },
                1 => VarPath::Slot(r.u16()?),
                2 => VarPath::Derived(r.byte()?),
                3 => VarPath::Keys { keys: Wire::read(r)?, in_scope: r.bool()? },
                _ => return None,
            })
        }
    }

    impl Wire for Node {
        fn read(r: &mut Reader<'_>) -> Option<Node> {
            fn w<T: Wire>(r: &mut Reader<'_>) -> Option<T> {
                T::read(r)
            }
            Some(match r.variant()? {
                0 => Node::Lit(w(r)?),
                1 => Node::Undefined,
                2 => Node::Array(w(r)?),
                3 => Node::Var { path: w(r)?, default: w(r)? },
                4 => Node::VarComputed { path: w(r)?, default: w(r)?, in_scope: w(r)? },
                5 => Node::Missing { keys: w(r)?, in_scope: w(r)? },
                6 => Node::MissingSome { need: w(r)?, keys: w(r)?, in_scope: w(r)? },
                7 => Node::MissingPaths { need: w(r)?, paths: w(r)? },
                8 => Node::If(w(r)?),
                9 => Node::And(w(r)?),
                10 => Node::Or(w(r)?),
                11 => Node::Not(w(r)?),
                12 => Node::Truthy(w(r)?),
                13 => Node::Equals { strict: w(r)?, negate: w(r)?, left: w(r)?, right: w(r)? },
                14 => Node::Compare { op: w(r)?, args: w(r)? },
                15 => Node::InSet { needle: w(r)?, set: w(r)? },
                16 => Node::In { needle: w(r)?, haystack: w(r)? },
                17 => Node::Cat(w(r)?),
                18 => Node::Substr(w(r)?),
                19 => Node::Arith { op: w(r)?, args: w(r)? },
                20 => Node::Merge(w(r)?),
                21 => Node::Iterate { kind: w(r)?, list: w(r)?, body: w(r)? },
                22 => Node::Reduce { list: w(r)?, body: w(r)?, initial: w(r)? },
                23 => Node::StartsWith(w(r)?, w(r)?),
                24 => Node::EndsWith(w(r)?, w(r)?),
                25 => Node::Segment(w(r)?),
                26 => Node::Fractional { key: w(r)?, buckets: w(r)? },
                27 => Node::SemVer(w(r)?),
                28 => Node::Log(w(r)?),
                29 => Node::NumCmp { path: w(r)?, op: w(r)?, k: w(r)?, general: w(r)? },
                30 => Node::Between { path: w(r)?, lo: w(r)?, hi: w(r)?, inclusive: w(r)?, general: w(r)? },
                31 => Node::StrEq { path: w(r)?, k: w(r)?, negate: w(r)?, general: w(r)? },
                32 => Node::InStrSet { path: w(r)?, set: w(r)?, general: w(r)? },
                33 => Node::SomeFieldEq { path: w(r)?, key: w(r)?, k: w(r)?, general: w(r)? },
                _ => return None,
            })
        }
    }

    impl Wire for LitToken {
        fn read(r: &mut Reader<'_>) -> Option<LitToken> {
            Some(match r.variant()? {
                0 => LitToken::Null,
                1 => LitToken::Bool(r.bool()?),
                2 => LitToken::Num(r.f64()?),
                3 => LitToken::Str(r.u32()?),
                4 => LitToken::List(r.u32()?),
                5 => LitToken::Map(r.u32()?),
                6 => LitToken::Key(r.u32()?),
                _ => return None,
            })
        }
    }

    impl Wire for Logic {
        fn read(r: &mut Reader<'_>) -> Option<Logic> {
            let nodes = Wire::read(r)?;
            let args = Wire::read(r)?;
            // The literal table (see `lit_codec`): strings, then the token stream.
            let strings: Vec<String> = Wire::read(r)?;
            let tokens: Vec<LitToken> = Wire::read(r)?;
            let lits = lit_codec::rebuild(&strings, tokens)?;
            Some(Logic { nodes, args, lits })
        }
    }
}
