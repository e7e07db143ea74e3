//! The static cost of a condition, estimated before it ever runs — the way CEL's
//! cost estimator bounds an expression — in the same units [`super::eval::Budget`]
//! charges while it runs: one per node evaluated, one per list item built or
//! iterated, one per 16 bytes of text built.
//!
//! The estimate is an upper bound. What a condition iterates over is bounded too:
//! a context value is cut to [`MAX_CONTEXT_LIST`] items and [`MAX_CONTEXT_TEXT`]
//! bytes when it is read ([`crate::context`]), literals have their own sizes, and
//! every operator's result size follows from its operands' (`merge` adds lengths,
//! `cat` adds bytes, a `reduce` accumulator is followed iteration by iteration). So
//! a `reduce` whose accumulator doubles, or `map` nested three deep over lists of a
//! few hundred, is refused when the bundle is compiled or loaded, with the id of
//! the node that costs too much; the run-time budget stays as the second line.

use super::eval::text_units;
use super::ir::{IterKind, Logic, Node, NodeId, VarPath};
use super::value::Datum;
use crate::limits::{MAX_CONTEXT_LIST, MAX_CONTEXT_TEXT, MAX_INTERESTS, MAX_STATE_TEXT};
use alloc::vec::Vec;

/// An upper bound on a value's size: list (or object) length, and string bytes; the
/// items of a list are bounded by the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Size {
    pub len: u64,
    pub text: u64,
}

impl Size {
    const SCALAR: Size = Size { len: 0, text: 24 };
    const CONTEXT: Size = Size { len: MAX_CONTEXT_LIST as u64, text: MAX_CONTEXT_TEXT as u64 };

    fn max(self, other: Size) -> Size {
        Size { len: self.len.max(other.len), text: self.text.max(other.text) }
    }

    fn of(value: &Datum<'_>) -> Size {
        match value {
            Datum::Null | Datum::Bool(_) | Datum::Num(_) => Size::SCALAR,
            Datum::Str(s) => Size { len: 0, text: s.len() as u64 },
            Datum::List(items) => {
                items.iter().fold(Size { len: items.len() as u64, text: 0 }, |size, item| size.max(Size::of(item)))
            }
            Datum::Map(entries) => {
                entries.iter().fold(Size { len: entries.len() as u64, text: 0 }, |size, (key, item)| {
                    size.max(Size::of(item)).max(Size { len: 0, text: key.len() as u64 })
                })
            }
        }
    }
}

/// What a node costs at most, and how large its value can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Estimate {
    pub cost: u64,
    pub size: Size,
}

/// The estimate went past the limit at `node` (the deepest node that alone does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooCostly {
    pub node: NodeId,
    pub cost: u64,
}

/// What the current item (inside `map`, `some`, ...) can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// Outside any iteration: the scope is the (empty) data root.
    Root,
    Item(Size),
    /// Inside `reduce`: `{current, accumulator}`.
    Reduce {
        current: Size,
        accumulator: Size,
    },
}

/// Largest number of (node, scope) pairs one estimate may visit: a hostile arena
/// sharing nodes cannot make the estimate itself slow.
const MAX_VISITS: usize = 20_000;

/// Estimates many conditions of one arena, sharing what it learns about shared nodes.
pub struct Estimator<'l> {
    logic: &'l Logic,
    /// Sizes of context slots by kind (see [`crate::context::Schema`]).
    slot_size: &'l dyn Fn(u16) -> Size,
    segment_cost: Vec<u64>,
    limit: u64,
    /// Estimates outside iterations, by node; inside them (few), a list by (node, scope).
    root_memo: Vec<Option<Estimate>>,
    scoped_memo: Vec<((u32, Scope), Estimate)>,
}

/// Estimates `root` against `limit`; `slot_size` bounds each context slot and
/// `segment_cost` is the estimate of each segment (a segment is evaluated at most
/// once per decision, whoever refers to it).
pub fn estimate(
    logic: &Logic,
    root: NodeId,
    slot_size: &dyn Fn(u16) -> Size,
    segment_cost: &[u64],
    limit: u64,
) -> Result<Estimate, TooCostly> {
    Estimator::new(logic, slot_size, segment_cost.to_vec(), limit).estimate(root)
}

/// Size of a context slot of the given documented kind (`None`: undocumented, any).
pub fn context_size(list: bool, text: bool) -> Size {
    match (list, text) {
        (true, _) => Size::CONTEXT,
        (false, true) => Size { len: 0, text: MAX_CONTEXT_TEXT as u64 },
        (false, false) => Size::SCALAR,
    }
}

impl<'l> Estimator<'l> {
    pub fn new(logic: &'l Logic, slot_size: &'l dyn Fn(u16) -> Size, segment_cost: Vec<u64>, limit: u64) -> Self {
        Estimator {
            logic,
            slot_size,
            segment_cost,
            limit,
            root_memo: alloc::vec![None; logic.nodes.len()],
            scoped_memo: Vec::new(),
        }
    }

    pub fn estimate(&mut self, root: NodeId) -> Result<Estimate, TooCostly> {
        self.node(root, Scope::Root, 0)
    }

    /// Records a segment's estimate, for the conditions that refer to it.
    pub fn set_segment_cost(&mut self, segment: usize, cost: u64) {
        if self.segment_cost.len() <= segment {
            self.segment_cost.resize(segment.saturating_add(1), 0);
        }
        if let Some(slot) = self.segment_cost.get_mut(segment) {
            *slot = cost;
        }
    }

    fn over(&self, node: NodeId, cost: u64) -> Result<(), TooCostly> {
        if cost > self.limit {
            Err(TooCostly { node, cost })
        } else {
            Ok(())
        }
    }

    fn node(&mut self, id: NodeId, scope: Scope, depth: usize) -> Result<Estimate, TooCostly> {
        let known = match scope {
            Scope::Root => self.root_memo.get(id.index()).copied().flatten(),
            _ => self.scoped_memo.iter().find(|(key, _)| *key == (id.0, scope)).map(|(_, e)| *e),
        };
        if let Some(known) = known {
            return Ok(known);
        }
        // Deeper than any valid arena, or too many distinct visits: refuse rather than work.
        if depth > crate::limits::MAX_DEPTH * 4 || self.scoped_memo.len() > MAX_VISITS {
            return Err(TooCostly { node: id, cost: u64::MAX });
        }
        let estimate = self.compute(id, scope, depth.saturating_add(1))?;
        self.over(id, estimate.cost)?;
        match scope {
            Scope::Root => {
                if self.root_memo.len() <= id.index() {
                    self.root_memo.resize(id.index().saturating_add(1), None);
                }
                if let Some(slot) = self.root_memo.get_mut(id.index()) {
                    *slot = Some(estimate);
                }
            }
            _ => self.scoped_memo.push(((id.0, scope), estimate)),
        }
        Ok(estimate)
    }

    fn all(&mut self, ids: &[NodeId], scope: Scope, depth: usize) -> Result<Vec<Estimate>, TooCostly> {
        ids.iter().map(|id| self.node(*id, scope, depth)).collect()
    }

    fn compute(&mut self, id: NodeId, scope: Scope, depth: usize) -> Result<Estimate, TooCostly> {
        let logic = self.logic;
        let sum = |items: &[Estimate]| items.iter().fold(1u64, |c, e| c.saturating_add(e.cost));
        let widest = |items: &[Estimate]| items.iter().fold(Size::default(), |s, e| s.max(e.size));
        let scalar = |cost: u64| Estimate { cost, size: Size::SCALAR };
        Ok(match logic.node(id) {
            Node::Lit(lit) => Estimate { cost: 1, size: Size::of(logic.lit(*lit)) },
            Node::Undefined | Node::Segment(_) => {
                let cost = match logic.node(id) {
                    Node::Segment(s) => self.segment_cost.get(usize::from(*s)).copied().unwrap_or(0).saturating_add(1),
                    _ => 1,
                };
                scalar(cost)
            }
            Node::Array(items) => {
                let items = logic.args(*items);
                let parts = self.all(items, scope, depth)?;
                let size = Size { len: items.len() as u64, text: widest(&parts).text }.max(widest(&parts));
                Estimate { cost: sum(&parts).saturating_add(items.len() as u64), size }
            }
            Node::Var { path, default } => {
                let mut size = self.var_size(path, scope);
                let mut cost = 1u64;
                if let Some(d) = default {
                    let d = self.node(*d, scope, depth)?;
                    cost = cost.saturating_add(d.cost);
                    size = size.max(d.size);
                }
                Estimate { cost, size }
            }
            Node::VarComputed { path, default, .. } => {
                let mut parts = alloc::vec![self.node(*path, scope, depth)?];
                if let Some(d) = default {
                    parts.push(self.node(*d, scope, depth)?);
                }
                Estimate { cost: sum(&parts), size: Size::CONTEXT.max(widest(&parts)) }
            }
            Node::Missing { keys, .. } => {
                let keys = logic.args(*keys);
                let parts = self.all(keys, scope, depth)?;
                let len = parts.iter().map(|p| p.size.len.max(1)).fold(0u64, u64::saturating_add);
                Estimate { cost: sum(&parts).saturating_add(len), size: Size { len, text: widest(&parts).text } }
            }
            Node::MissingSome { need, keys, .. } => {
                let parts = self.all(&[*need, *keys], scope, depth)?;
                let keys = parts.get(1).map_or(Size::default(), |k| k.size);
                Estimate { cost: sum(&parts).saturating_add(keys.len), size: keys }
            }
            Node::MissingPaths { need, paths } => {
                let need = match need {
                    Some(n) => self.node(*n, scope, depth)?.cost,
                    None => 0,
                };
                let len = paths.len() as u64;
                Estimate {
                    cost: need.saturating_add(len).saturating_add(1),
                    size: Size { len, text: MAX_CONTEXT_TEXT as u64 },
                }
            }
            Node::If(items) | Node::And(items) | Node::Or(items) => {
                let items = logic.args(*items);
                let parts = self.all(items, scope, depth)?;
                Estimate { cost: sum(&parts), size: widest(&parts) }
            }
            Node::Not(a) | Node::Truthy(a) => scalar(self.node(*a, scope, depth)?.cost.saturating_add(1)),
            Node::Log(a) => {
                let inner = self.node(*a, scope, depth)?;
                Estimate { cost: inner.cost.saturating_add(1), size: inner.size }
            }
            Node::Equals { left, right, .. } => scalar(sum(&self.all(&[*left, *right], scope, depth)?)),
            Node::Compare { args, .. } | Node::SemVer(args) => {
                scalar(sum(&self.all(logic.args(*args), scope, depth)?))
            }
            Node::InSet { needle, .. } => scalar(self.node(*needle, scope, depth)?.cost.saturating_add(1)),
            Node::In { needle, haystack } => {
                let parts = self.all(&[*needle, *haystack], scope, depth)?;
                let hay = parts.get(1).map_or(Size::default(), |h| h.size);
                scalar(sum(&parts).saturating_add(text_units(hay.text as usize)).saturating_add(hay.len))
            }
            Node::Cat(items) => {
                let items = logic.args(*items);
                let parts = self.all(items, scope, depth)?;
                // A list joins its items with commas: as long as all its items' text.
                let text = parts
                    .iter()
                    .map(|p| p.size.text.saturating_mul(p.size.len.max(1)).saturating_add(p.size.len))
                    .fold(0u64, u64::saturating_add);
                Estimate {
                    cost: sum(&parts).saturating_add(text_units(usize::try_from(text).unwrap_or(usize::MAX))),
                    size: Size { len: 0, text },
                }
            }
            Node::Substr(items) => {
                let items = logic.args(*items);
                let parts = self.all(items, scope, depth)?;
                let text = parts.first().map_or(0, |p| p.size.text.saturating_mul(p.size.len.max(1)));
                Estimate {
                    cost: sum(&parts).saturating_add(text_units(usize::try_from(text).unwrap_or(usize::MAX))),
                    size: Size { len: 0, text },
                }
            }
            Node::Arith { args, .. } => {
                let args = logic.args(*args);
                let parts = self.all(args, scope, depth)?;
                // `*` with one operand returns it untouched.
                let size = if args.len() == 1 { widest(&parts).max(Size::SCALAR) } else { Size::SCALAR };
                Estimate { cost: sum(&parts), size }
            }
            Node::Merge(items) => {
                let items = logic.args(*items);
                let parts = self.all(items, scope, depth)?;
                let len = parts.iter().map(|p| p.size.len.max(1)).fold(0u64, u64::saturating_add);
                Estimate {
                    cost: sum(&parts).saturating_add(len),
                    size: Size { len, text: widest(&parts).text }.max(Size { len, text: 0 }),
                }
            }
            Node::Iterate { kind, list, body } => {
                let list = self.node(*list, scope, depth)?;
                let body_estimate = self.node(*body, Scope::Item(list.size), depth)?;
                let per_item = body_estimate.cost.saturating_add(1);
                let cost = 1u64.saturating_add(list.cost).saturating_add(list.size.len.saturating_mul(per_item));
                let size = match kind {
                    IterKind::Map => Size { len: list.size.len, text: 0 }
                        .max(body_estimate.size)
                        .max(Size { len: list.size.len, text: body_estimate.size.text }),
                    IterKind::Filter => list.size,
                    _ => Size::SCALAR,
                };
                Estimate { cost, size }
            }
            Node::Reduce { list, body, initial } => {
                let list = self.node(*list, scope, depth)?;
                let initial = self.node(*initial, scope, depth)?;
                let mut cost = 1u64.saturating_add(list.cost).saturating_add(initial.cost);
                let mut accumulator = initial.size;
                let mut stable = 0u64;
                let mut k = 0u64;
                while k < list.size.len {
                    let step = self.node(*body, Scope::Reduce { current: list.size, accumulator }, depth)?;
                    cost = cost
                        .saturating_add(step.cost)
                        .saturating_add(step.size.len)
                        .saturating_add(text_units(usize::try_from(step.size.text).unwrap_or(usize::MAX)));
                    self.over(id, cost)?;
                    k = k.saturating_add(1);
                    if step.size == accumulator {
                        // A fixed point: every further iteration costs the same.
                        stable = step
                            .cost
                            .saturating_add(step.size.len)
                            .saturating_add(text_units(usize::try_from(step.size.text).unwrap_or(usize::MAX)));
                        break;
                    }
                    accumulator = step.size.max(accumulator);
                }
                cost = cost.saturating_add(stable.saturating_mul(list.size.len.saturating_sub(k)));
                Estimate { cost, size: accumulator }
            }
            Node::StartsWith(a, b) | Node::EndsWith(a, b) => scalar(sum(&self.all(&[*a, *b], scope, depth)?)),
            Node::Fractional { key, buckets } => {
                let mut ids: Vec<NodeId> = key.iter().copied().collect();
                ids.extend_from_slice(logic.args(*buckets));
                let parts = self.all(&ids, scope, depth)?;
                Estimate { cost: sum(&parts).saturating_add(u64::from(buckets.len / 2)), size: widest(&parts) }
            }
            Node::NumCmp { general, .. }
            | Node::Between { general, .. }
            | Node::StrEq { general, .. }
            | Node::InStrSet { general, .. }
            | Node::SomeFieldEq { general, .. } => scalar(self.node(*general, scope, depth)?.cost.saturating_add(1)),
        })
    }

    fn var_size(&self, path: &VarPath, scope: Scope) -> Size {
        let scope_size = |scope: Scope| match scope {
            Scope::Root => Size::default(),
            Scope::Item(size) => size,
            Scope::Reduce { current, accumulator } => current.max(accumulator).max(Size { len: 2, text: 11 }),
        };
        match path {
            VarPath::Slot(slot) => (self.slot_size)(*slot),
            VarPath::Derived(index) => {
                if usize::from(*index) == crate::context::INTERESTS {
                    Size { len: MAX_INTERESTS as u64, text: MAX_STATE_TEXT as u64 }
                } else {
                    Size { len: 0, text: MAX_STATE_TEXT as u64 }.max(Size::SCALAR)
                }
            }
            VarPath::Whole { in_scope: true } => scope_size(scope),
            VarPath::Keys { keys, in_scope: true } => match (scope, keys.first().map(|k| &**k)) {
                (Scope::Reduce { current, .. }, Some("current")) if keys.len() == 1 => current,
                (Scope::Reduce { accumulator, .. }, Some("accumulator")) if keys.len() == 1 => accumulator,
                (scope, _) => scope_size(scope),
            },
            // The data root of plain JsonLogic: any size the host allows.
            VarPath::Whole { in_scope: false } | VarPath::Keys { in_scope: false, .. } => Size::CONTEXT,
        }
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use crate::logic::compile::compile_rule;
    use serde_json::json;

    fn cost_of(rule: serde_json::Value) -> Result<u64, TooCostly> {
        let (logic, root) = compile_rule(&rule).unwrap_or_else(|e| panic!("{e}"));
        estimate(&logic, root, &|_| Size::CONTEXT, &[], 100_000).map(|e| e.cost)
    }

    #[test]
    fn ordinary_conditions_are_cheap() {
        let cheap = json!({"and": [
            {"in": [{"var": "page.referrer_host"}, ["gadgets.com", "gadgetsdaily.com"]]},
            {">": [{"var": "cart.total"}, 100]},
            {"some": [{"var": "cart.items"}, {"==": [{"var": "category"}, "audio"]}]}
        ]});
        let cost = cost_of(cheap).unwrap_or(u64::MAX);
        assert!(cost < 1_000, "cost {cost}");
    }

    #[test]
    fn doubling_accumulators_are_refused() {
        let list: Vec<u32> = (0..40).collect();
        let doubling = json!({"reduce": [list, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]});
        assert!(cost_of(doubling).is_err());
        let merging = json!({"reduce": [list, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]});
        assert!(cost_of(merging).is_err());
        // Growing by a constant is fine.
        let counting = json!({"reduce": [list, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]});
        assert!(cost_of(counting).is_ok());
    }

    #[test]
    fn nested_iterations_multiply() {
        let list: Vec<u32> = (0..300).collect();
        let nested = json!({"all": [list, {"all": [list, {"all": [list, {">=": [{"var": ""}, 0]}]}]}]});
        let error = cost_of(nested);
        assert!(error.is_err(), "{error:?}");
        let one_level = json!({"all": [list, {">=": [{"var": ""}, 0]}]});
        assert!(cost_of(one_level).is_ok());
    }
}
