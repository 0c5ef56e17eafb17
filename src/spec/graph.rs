//! The dependency graph among a preview's own services: each service's depth (the longest chain
//! of services below it), which becomes its sync wave, or the cycle that makes ordering impossible.

use std::collections::BTreeMap;

/// A cycle, as the names along it, first name repeated at the end (`a → b → a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" → "))
    }
}

/// Depth of every node of `edges` (node → the nodes it depends on; names outside the map are
/// ignored): 0 for a node with no dependencies, else one more than its deepest dependency.
///
/// Runs without recursion, so a chain of any length cannot overflow the stack; the first cycle
/// found in name order is returned.
pub fn depths(edges: &BTreeMap<&str, Vec<&str>>) -> Result<BTreeMap<String, u32>, Cycle> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done(u32),
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for &root in edges.keys() {
        if marks.contains_key(root) {
            continue;
        }
        // (node, index of the next dependency to visit)
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::Open);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = &edges[node];
            if let Some(&dep) = deps.get(*next) {
                *next += 1;
                if !edges.contains_key(dep) {
                    continue;
                }
                match marks.get(dep) {
                    Some(Mark::Done(_)) => {}
                    Some(Mark::Open) => {
                        let start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut names: Vec<String> = stack[start..].iter().map(|(n, _)| (*n).to_owned()).collect();
                        names.push(dep.to_owned());
                        return Err(Cycle(names));
                    }
                    None => {
                        marks.insert(dep, Mark::Open);
                        stack.push((dep, 0));
                    }
                }
            } else {
                let depth = deps
                    .iter()
                    .filter_map(|d| match marks.get(d) {
                        Some(Mark::Done(depth)) => Some(depth + 1),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                marks.insert(node, Mark::Done(depth));
                stack.pop();
            }
        }
    }
    Ok(marks.into_iter().map(|(name, mark)| (name.to_owned(), if let Mark::Done(d) = mark { d } else { 0 })).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph<'a>(pairs: &[(&'a str, &[&'a str])]) -> BTreeMap<&'a str, Vec<&'a str>> {
        pairs.iter().map(|(n, deps)| (*n, deps.to_vec())).collect()
    }

    #[test]
    fn chain() {
        let d = depths(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &[])])).unwrap();
        assert_eq!((d["a"], d["b"], d["c"]), (2, 1, 0));
    }

    #[test]
    fn diamond_takes_the_longest_path() {
        let d = depths(&graph(&[
            ("top", &["l", "r"]),
            ("l", &["bottom"]),
            ("r", &["x"]),
            ("x", &["bottom"]),
            ("bottom", &[]),
        ]))
        .unwrap();
        assert_eq!((d["top"], d["l"], d["r"], d["x"], d["bottom"]), (3, 1, 2, 1, 0));
    }

    #[test]
    fn names_outside_the_graph_do_not_count() {
        let d = depths(&graph(&[("a", &["postgres", "staging-thing"])])).unwrap();
        assert_eq!(d["a"], 0);
    }

    #[test]
    fn cycles_are_named() {
        let err = depths(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])])).unwrap_err();
        assert_eq!(err.to_string(), "a → b → c → a");
        let err = depths(&graph(&[("a", &["a"])])).unwrap_err();
        assert_eq!(err.to_string(), "a → a");
        let err = depths(&graph(&[("x", &["a"]), ("a", &["b"]), ("b", &["a"])])).unwrap_err();
        assert_eq!(err.to_string(), "a → b → a");
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let names: Vec<String> = (0..100_000).map(|i| format!("s{i}")).collect();
        let edges: BTreeMap<&str, Vec<&str>> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), names.get(i + 1).map(String::as_str).into_iter().collect()))
            .collect();
        assert_eq!(depths(&edges).unwrap()["s0"], 99_999);
    }
}
