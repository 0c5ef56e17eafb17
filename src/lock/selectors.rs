//! The tag selectors of a spec: every data store whose `seed.snapshot.tags` is set, checked
//! against what EC2 can filter on.

use std::collections::BTreeMap;

use crate::spec::problem::{Problem, key_path};
use crate::spec::types::Preview;

/// EC2's limits on a tag key and value (characters).
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// A data store seeded by the newest snapshot that carries all of `tags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The data store's name.
    pub store: String,
    /// Every tag a snapshot must carry, with this exact value.
    pub tags: BTreeMap<String, String>,
}

impl Selector {
    /// The tags as `k=v, k=v`, for messages.
    pub fn describe(&self) -> String {
        describe_tags(&self.tags)
    }
}

/// Tags as `k=v, k=v`, in key order.
pub fn describe_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// The selectors of `preview` in data store order, or every problem that keeps one from being
/// asked for, each with its field path.
pub fn selectors(preview: &Preview) -> Result<Vec<Selector>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (store, spec) in &preview.spec.data_stores {
        let Some(snapshot) = spec.seed.as_ref().and_then(|seed| seed.snapshot.as_ref()) else {
            continue;
        };
        let Some(tags) = &snapshot.tags else {
            continue;
        };
        let path = format!("{}.seed.snapshot", key_path("spec.dataStores", store));
        if snapshot.handle.is_some() {
            problems.push(Problem::error(&path, "set exactly one of `handle` and `tags`"));
            continue;
        }
        let before = problems.len();
        if tags.is_empty() {
            problems.push(Problem::error(format!("{path}.tags"), "give at least one tag to select snapshots by"));
        }
        for (key, value) in tags {
            let at = key_path(&format!("{path}.tags"), key);
            if key.is_empty() || key.chars().count() > MAX_TAG_KEY {
                problems.push(Problem::error(
                    &at,
                    format!("`{key}` is not an EC2 tag key: write 1 to {MAX_TAG_KEY} characters"),
                ));
            }
            if value.chars().count() > MAX_TAG_VALUE {
                problems.push(Problem::error(
                    &at,
                    format!("the value is longer than the {MAX_TAG_VALUE} characters an EC2 tag value may have"),
                ));
            }
        }
        if problems.len() == before {
            out.push(Selector { store: store.clone(), tags: tags.clone() });
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load::load;

    fn preview(stores: &str) -> Preview {
        let text = format!(
            "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {{name: shop}}\nspec:\n  dataStores:\n{stores}"
        );
        load(&text, "p.yaml").expect("spec loads").preview
    }

    #[test]
    fn only_tag_seeds_are_selectors_in_store_order() {
        let preview = preview(
            "    b: {engine: redis, seed: {snapshot: {tags: {app: shop, env: seed}}}}\n\
             \x20   a: {engine: postgres, seed: {snapshot: {tags: {app: shop}}}}\n\
             \x20   c: {engine: postgres, seed: {snapshot: {handle: snap-1}}}\n\
             \x20   d: {engine: postgres, seed: {velero: {backup: x, namespace: y}}}\n\
             \x20   e: {engine: postgres}\n",
        );
        let found = selectors(&preview).unwrap();
        let names: Vec<&str> = found.iter().map(|s| s.store.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(found[1].describe(), "app=shop, env=seed");
    }

    #[test]
    fn unusable_selectors_are_all_reported_with_paths() {
        let long = "k".repeat(129);
        let preview = preview(&format!(
            "    a: {{engine: postgres, seed: {{snapshot: {{tags: {{}}}}}}}}\n\
             \x20   b: {{engine: postgres, seed: {{snapshot: {{handle: snap-1, tags: {{app: x}}}}}}}}\n\
             \x20   c: {{engine: postgres, seed: {{snapshot: {{tags: {{{long}: x}}}}}}}}\n"
        ));
        let problems: Vec<String> = selectors(&preview).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("spec.dataStores.a.seed.snapshot.tags: give at least one tag"));
        assert!(problems[1].starts_with("spec.dataStores.b.seed.snapshot: set exactly one of `handle` and `tags`"));
        assert!(problems[2].contains("is not an EC2 tag key"), "{}", problems[2]);
    }
}
