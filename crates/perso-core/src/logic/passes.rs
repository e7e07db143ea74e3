//! Walks over a [`Logic`] arena other than evaluation: the facts a condition
//! requires (the decide prefilter) and the time-on-site thresholds at which a
//! condition can flip (host timers instead of polling).

use super::ir::{CompareOp, Logic, Node, NodeId, VarPath};
use super::value::{to_number, Datum};
use alloc::vec::Vec;

/// Context slots (the first 64) that must hold a truthy value for `root` to be
/// truthy: a necessary condition, derived from the operators' semantics. Deciding
/// rejects a campaign whose required facts the context lacks with one bit test,
/// without evaluating anything. Conservative: an operator it cannot reason about
/// requires nothing.
pub fn required_slots(logic: &Logic, root: NodeId) -> u64 {
    // Depth is bounded (validated arenas are at most MAX_DEPTH deep).
    fn slot_of(logic: &Logic, id: NodeId) -> Option<u16> {
        match logic.node(id) {
            Node::Var { path: VarPath::Slot(s), default: None } if *s < 64 => Some(*s),
            _ => None,
        }
    }
    /// A literal no falsy value (null, false, 0, "", []) equals, loosely or strictly.
    fn unmatched_by_falsy(d: &Datum<'_>) -> bool {
        match d {
            Datum::Str(s) => !s.is_empty() && to_number(d) != 0.0,
            Datum::Num(n) => *n != 0.0 && !n.is_nan(),
            Datum::Bool(b) => *b,
            _ => false,
        }
    }
    let literal = |id: NodeId| match logic.node(id) {
        Node::Lit(lit) => Some(logic.lit(*lit)),
        _ => None,
    };
    let bit = |s: u16| 1u64 << s;
    match logic.node(root) {
        Node::And(items) => logic.args(*items).iter().fold(0, |mask, e| mask | required_slots(logic, *e)),
        Node::Or(items) if items.len > 0 => {
            logic.args(*items).iter().fold(u64::MAX, |mask, e| mask & required_slots(logic, *e))
        }
        Node::Truthy(inner) => required_slots(logic, *inner),
        Node::InSet { needle, set } => match (slot_of(logic, *needle), logic.lit(*set)) {
            (Some(s), Datum::List(set)) if set.iter().all(unmatched_by_falsy) => bit(s),
            _ => 0,
        },
        Node::Equals { negate: false, left, right, .. } => {
            match (slot_of(logic, *left), literal(*right), literal(*left), slot_of(logic, *right)) {
                (Some(s), Some(lit), _, _) | (_, _, Some(lit), Some(s)) if unmatched_by_falsy(lit) => bit(s),
                _ => 0,
            }
        }
        // A falsy fact is 0 (or NaN) as a number: `x > n` needs it when n >= 0.
        Node::Compare { op, args } if args.len == 2 => {
            let args = logic.args(*args);
            match (args.first().and_then(|a| slot_of(logic, *a)), args.get(1).and_then(|b| literal(*b))) {
                (Some(s), Some(Datum::Num(n)))
                    if (*op == CompareOp::Gt && *n >= 0.0) || (*op == CompareOp::Ge && *n > 0.0) =>
                {
                    bit(s)
                }
                _ => 0,
            }
        }
        Node::Iterate { kind: super::ir::IterKind::Some | super::ir::IterKind::All, list, .. } => {
            slot_of(logic, *list).map_or(0, bit)
        }
        Node::Var { .. } => slot_of(logic, root).map_or(0, bit),
        // Specialized shapes need exactly what their generic form needs.
        Node::NumCmp { general, .. }
        | Node::Between { general, .. }
        | Node::StrEq { general, .. }
        | Node::InStrSet { general, .. }
        | Node::SomeFieldEq { general, .. } => required_slots(logic, *general),
        _ => 0,
    }
}

/// Whole seconds of the derived fact `time` (e.g. `session.time_on_site_s`) at which
/// a comparison of it with a number in the subtrees of `roots` changes its answer.
pub fn time_thresholds(logic: &Logic, roots: &[NodeId], time: u8) -> Vec<u32> {
    let reads_time = |id: &NodeId| matches!(logic.node(*id), Node::Var { path: VarPath::Derived(d), .. } if *d == time);
    let number = |id: &NodeId| match logic.node(*id) {
        Node::Lit(lit) => logic.lit(*lit).as_f64(),
        _ => None,
    };
    // Reachable nodes only: a dropped array element or a foreign campaign's node does not count.
    let mut seen = alloc::vec![false; logic.nodes.len()];
    let mut stack: Vec<NodeId> = roots.to_vec();
    let mut out = Vec::new();
    while let Some(id) = stack.pop() {
        match seen.get_mut(id.index()) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        let node = logic.node(id);
        logic.for_each_child(node, |child| stack.push(child));
        let (op, operands): (Option<CompareOp>, Vec<NodeId>) = match node {
            Node::Compare { op, args } => (Some(*op), logic.args(*args).to_vec()),
            Node::Equals { left, right, .. } => (None, alloc::vec![*left, *right]),
            _ => continue,
        };
        let Some(time_at) = operands.iter().position(reads_time) else { continue };
        for (at, n) in operands.iter().enumerate().filter_map(|(i, o)| number(o).map(|n| (i, n))) {
            if !(0.0..f64::from(u32::MAX)).contains(&n) {
                continue;
            }
            // `t > n` (or `n < t`) flips at the first whole second past n; `>=` at n
            // rounded up; equality at n and just after.
            let time_first = time_at < at;
            let strictly_above = matches!((op, time_first), (Some(CompareOp::Gt), true) | (Some(CompareOp::Lt), false));
            let at_or_below = matches!((op, time_first), (Some(CompareOp::Le), true) | (Some(CompareOp::Ge), false));
            if strictly_above || at_or_below {
                out.push((libm::floor(n) + 1.0) as u32);
            } else {
                out.push(libm::ceil(n) as u32);
                if op.is_none() && libm::floor(n) == n {
                    // As the float casts above, saturating at u32::MAX seconds.
                    out.push((n as u32).saturating_add(1));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Every context path the subtrees of `roots` read, following `{"segment": ..}`
/// references into `segments` (the segments' condition roots, by index): slots and
/// derived facts, each once, in first-seen order. What an offer's checkout re-check
/// needs to know (the host section lists it per redeemable campaign).
pub fn vars_read(logic: &Logic, roots: &[NodeId], segments: &[NodeId]) -> Vec<VarPath> {
    let mut seen = alloc::vec![false; logic.nodes.len()];
    let mut segment_seen = alloc::vec![false; segments.len()];
    let mut stack: Vec<NodeId> = roots.to_vec();
    let mut out: Vec<VarPath> = Vec::new();
    while let Some(id) = stack.pop() {
        match seen.get_mut(id.index()) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        let node = logic.node(id);
        if let Node::Segment(index) = node {
            let index = usize::from(*index);
            if let (Some(flag), Some(root)) = (segment_seen.get_mut(index), segments.get(index)) {
                if !*flag {
                    *flag = true;
                    stack.push(*root);
                }
            }
        }
        let mut push = |path: &VarPath| {
            if matches!(path, VarPath::Slot(_) | VarPath::Derived(_)) && !out.contains(path) {
                out.push(path.clone());
            }
        };
        if let Some(path) = node.var_path() {
            push(path);
        }
        if let Node::MissingPaths { paths, .. } = node {
            paths.iter().for_each(|(_, p)| push(p));
        }
        logic.for_each_child(node, |child| stack.push(child));
    }
    out
}
