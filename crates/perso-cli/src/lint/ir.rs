//! What the lints need of the compiled bundle: the roots of every condition, the
//! conjunction a campaign requires, reachable nodes, and the names and JSON paths
//! nodes came from (the compiler's [`SourceMap`]). Every lint that reads a
//! condition is a pass over [`Logic`] from these roots: what the engine evaluates,
//! with the defaults the one reader applied, never a second reading of the JSON.

use perso_core::bundle::compile::SourceMap;
use perso_core::context::DERIVED_PATHS;
use perso_core::logic::ir::{Logic, Node, NodeId, VarPath};
use perso_core::program::Program;
use serde_json::Value;

/// The compiled bundle and where its nodes came from.
pub struct Ir<'p> {
    pub program: &'p Program,
    pub source: Option<&'p SourceMap>,
}

/// One requirement of a campaign's conjunction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Atom {
    /// A segment the campaign lists (or a `{"segment": id}` member of its condition).
    Segment(u16),
    Node(NodeId),
}

impl<'p> Ir<'p> {
    pub fn logic(&self) -> &'p Logic {
        &self.program.logic
    }

    /// The JSON path a node was compiled from.
    pub fn path(&self, id: NodeId) -> Option<&'p str> {
        self.source.and_then(|s| s.paths.get(id))
    }

    /// A context path's name as the bundle wrote it.
    pub fn var_name(&self, path: &VarPath) -> Option<&'p str> {
        match path {
            VarPath::Slot(s) => self.program.schema.paths().get(usize::from(*s)).map(|p| &**p),
            VarPath::Derived(d) => DERIVED_PATHS.get(usize::from(*d)).copied(),
            VarPath::Whole { .. } | VarPath::Keys { .. } => None,
        }
    }

    pub fn segment_id(&self, index: u16) -> String {
        self.program.segments.get(usize::from(index)).map(|s| s.id.to_string()).unwrap_or_default()
    }

    /// A node back as JsonLogic (what equal requirements are compared by).
    pub fn json(&self, id: NodeId) -> Value {
        perso_core::logic::decompile::to_json(self.logic(), id, &self.program.schema, &|s| self.segment_id(s))
    }

    pub fn atom_json(&self, atom: Atom) -> Value {
        match atom {
            Atom::Segment(s) => serde_json::json!({ "segment": self.segment_id(s) }),
            Atom::Node(id) => self.json(id),
        }
    }

    /// Every condition root of a campaign: its condition and its offer's eligibility.
    pub fn campaign_roots(&self, index: usize) -> Vec<NodeId> {
        self.program
            .campaigns
            .get(index)
            .map_or_else(Vec::new, |c| c.condition.into_iter().chain(c.eligibility).collect())
    }

    /// What a campaign requires, as a conjunction: its segments, then the members of
    /// its condition's top-level `and`.
    pub fn requirements(&self, index: usize) -> Vec<Atom> {
        let Some(campaign) = self.program.campaigns.get(index) else { return Vec::new() };
        let mut atoms: Vec<Atom> = campaign.segments.iter().map(|s| Atom::Segment(*s)).collect();
        if let Some(root) = campaign.condition {
            self.flatten_and(root, &mut atoms);
        }
        atoms
    }

    fn flatten_and(&self, id: NodeId, out: &mut Vec<Atom>) {
        match self.logic().node(id) {
            Node::And(items) => self.logic().args(*items).iter().for_each(|i| self.flatten_and(*i, out)),
            Node::Segment(s) => out.push(Atom::Segment(*s)),
            _ => out.push(Atom::Node(id)),
        }
    }

    /// The atoms with segments replaced by their conditions' atoms (segments are
    /// acyclic once loaded; the depth bound is a second guard).
    pub fn expanded(&self, atoms: &[Atom]) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut queue: Vec<(Atom, u8)> = atoms.iter().map(|a| (*a, 0)).collect();
        while let Some((atom, depth)) = queue.pop() {
            match atom {
                Atom::Segment(s) if depth < 16 => {
                    if let Some(segment) = self.program.segments.get(usize::from(s)) {
                        let mut inner = Vec::new();
                        self.flatten_and(segment.condition, &mut inner);
                        queue.extend(inner.into_iter().map(|a| (a, depth + 1)));
                    }
                }
                Atom::Segment(_) => {}
                Atom::Node(id) => out.push(id),
            }
        }
        out
    }

    /// Every node reachable from `roots` (each once), with segments followed when
    /// `follow_segments`.
    pub fn reachable(&self, roots: &[NodeId], follow_segments: bool) -> Vec<NodeId> {
        let logic = self.logic();
        let mut seen = vec![false; logic.nodes.len()];
        let mut stack: Vec<NodeId> = roots.to_vec();
        let mut out = Vec::new();
        let mut segments_seen = vec![false; self.program.segments.len()];
        while let Some(id) = stack.pop() {
            match seen.get_mut(id.index()) {
                Some(flag) if !*flag => *flag = true,
                _ => continue,
            }
            out.push(id);
            let node = logic.node(id);
            logic.for_each_child(node, |child| stack.push(child));
            if let (true, Node::Segment(s)) = (follow_segments, node) {
                if let Some(flag) = segments_seen.get_mut(usize::from(*s)).filter(|f| !**f) {
                    *flag = true;
                    if let Some(segment) = self.program.segments.get(usize::from(*s)) {
                        stack.push(segment.condition);
                    }
                }
            }
        }
        out
    }

    /// Every text literal compared with `path` by `==`/`!=` or `in` a literal list.
    pub fn compared_values(&self, path: &str) -> std::collections::BTreeSet<String> {
        let logic = self.logic();
        let reads = |id: &NodeId| match logic.node(*id) {
            Node::Var { path: p, .. } => self.var_name(p) == Some(path),
            _ => false,
        };
        let mut out = std::collections::BTreeSet::new();
        for node in &logic.nodes {
            let (subject, lit) = match node {
                Node::Equals { left, right, .. } if reads(left) => (true, *right),
                Node::Equals { left, right, .. } if reads(right) => (true, *left),
                Node::InSet { needle, set } if reads(needle) => {
                    if let perso_core::logic::value::Datum::List(items) = logic.lit(*set) {
                        out.extend(items.iter().filter_map(|d| d.as_str().map(str::to_owned)));
                    }
                    continue;
                }
                _ => continue,
            };
            if let (true, Node::Lit(l)) = (subject, logic.node(lit)) {
                out.extend(logic.lit(*l).as_str().map(str::to_owned));
            }
        }
        out
    }

    /// Whether a subtree reads anything (a context path, a segment, the visitor's bucket).
    pub fn reads_anything(&self, root: NodeId) -> bool {
        self.reachable(&[root], false).iter().any(|id| {
            matches!(
                self.logic().node(*id),
                Node::Var { .. }
                    | Node::VarComputed { .. }
                    | Node::Segment(_)
                    | Node::Fractional { .. }
                    | Node::Missing { .. }
                    | Node::MissingSome { .. }
                    | Node::MissingPaths { .. }
            )
        })
    }
}
