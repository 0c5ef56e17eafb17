//! Compose service names (`web_1`, `Api.Server`) as spec names: DNS-1035 labels, unique across
//! services and data stores, so that every `depends_on` still points at the right one.

use std::collections::{BTreeMap, BTreeSet};

use crate::k8s::naming::{MAX_LABEL, MAX_STATEFULSET, fit};

/// The spec name of every compose service.
#[derive(Debug, Default)]
pub struct Names {
    by_compose: BTreeMap<String, String>,
    taken: BTreeSet<String>,
}

impl Names {
    /// Gives `compose` a name, a data store's (`store`) being shorter; returns it.
    pub fn add(&mut self, compose: &str, store: bool) -> String {
        let max = if store { MAX_STATEFULSET } else { MAX_LABEL };
        let base = fit(&label(compose), max);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            let suffix = format!("-{n}");
            name = format!("{}{suffix}", fit(&base, max - suffix.len()).trim_end_matches('-'));
            n += 1;
        }
        self.taken.insert(name.clone());
        self.by_compose.insert(compose.to_owned(), name.clone());
        name
    }

    /// The spec name of a compose service, if it has one.
    pub fn get(&self, compose: &str) -> Option<&str> {
        self.by_compose.get(compose).map(String::as_str)
    }

    /// The compose name of the service or store named `spec` in the spec.
    pub fn compose(&self, spec: &str) -> Option<&str> {
        self.by_compose.iter().find(|(_, s)| *s == spec).map(|(c, _)| c.as_str())
    }
}

/// `text` as a DNS-1035 label: lowercase, every run of other characters one `-`, starting with a
/// letter.
pub fn label(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    match out.chars().next() {
        None => "app".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("s-{out}"),
        Some(_) => out.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::naming::is_dns1035_label;

    #[test]
    fn compose_names_become_labels() {
        assert_eq!(label("web_1"), "web-1");
        assert_eq!(label("Api.Server"), "api-server");
        assert_eq!(label("1st"), "s-1st");
        assert_eq!(label("__"), "app");
    }

    #[test]
    fn names_stay_unique_and_valid() {
        let mut names = Names::default();
        assert_eq!(names.add("web_1", false), "web-1");
        assert_eq!(names.add("web-1", false), "web-1-2");
        assert_eq!(names.add("WEB.1", true), "web-1-3");
        let long = "x".repeat(80);
        let a = names.add(&long, true);
        let b = names.add(&format!("{long}_"), true);
        assert!(a != b && is_dns1035_label(&a) && is_dns1035_label(&b) && b.len() <= MAX_STATEFULSET, "{a} {b}");
        assert_eq!(names.get("web-1"), Some("web-1-2"));
    }
}
