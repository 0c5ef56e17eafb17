//! Kubernetes names: what is valid (DNS-1123 and DNS-1035 labels, DNS-1123 subdomains) and how a
//! name that is too long is shortened: a prefix plus a hash of the whole name, so two long names
//! never shorten into the same one.

use sha2::{Digest, Sha256};

/// Longest label (namespace, Service, most object names, label values).
pub const MAX_LABEL: usize = 63;
/// Longest StatefulSet name: its pods carry `controller-revision-hash: <name>-<10 chars>`, a
/// label value that must itself fit in 63 characters.
pub const MAX_STATEFULSET: usize = 52;
/// Longest DNS subdomain (Secret names, hosts).
pub const MAX_SUBDOMAIN: usize = 253;
const HASH_LEN: usize = 8;

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= MAX_SUBDOMAIN && s.split('.').all(is_dns1123_label)
}

/// `name` if it fits in `max` characters, else its first characters, `-` and eight hex digits of
/// its SHA-256. Valid labels stay valid labels.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    hashed(name, name, max)
}

/// The start of `base`, `-` and the short hash of `whole`, in at most `max` bytes: the prefix is
/// cut on a character boundary and loses any `-` or `.` it ends with.
fn hashed(base: &str, whole: &str, max: usize) -> String {
    let mut keep = max.saturating_sub(HASH_LEN + 1).min(base.len());
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    let hash = short_hash(whole);
    match base[..keep].trim_end_matches(['-', '.']) {
        "" => hash,
        prefix => format!("{prefix}-{hash}"),
    }
}

/// The first eight hex digits of the SHA-256 of `text`.
fn short_hash(text: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(text.as_bytes()).iter().take(HASH_LEN / 2).fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Joins `parts` with `-` and fits the result in `max`.
pub fn join(parts: &[&str], max: usize) -> String {
    fit(&parts.join("-"), max)
}

/// A name in a scope every preview shares (Velero's namespace, cluster-scoped objects): the
/// preview's `namespace` and `parts` joined with `-`, cut to fit `max`, always ending in `-` and
/// eight hex digits of the SHA-256 of `namespace/part/…`. `-` is legal inside each part, so the
/// joined text alone could be the same for two previews (`a-pr-1` + `pr-2-db`, `a-pr-1-pr-2` +
/// `db`); the hash of the parts as given cannot, since `/` is in none of them (namespaces, store
/// names and Backup names are DNS names). Parts are lowercase DNS names, so the result is a DNS
/// subdomain and a label value.
pub fn shared(namespace: &str, parts: &[&str], max: usize) -> String {
    let key = std::iter::once(namespace).chain(parts.iter().copied()).collect::<Vec<_>>();
    hashed(&key.join("-"), &key.join("/"), max)
}

/// Turns any text into a DNS-1123 label: lowercase, runs of other characters as `-`; a name that
/// had to change gets the hash suffix, so different inputs stay different names.
pub fn label_from(text: &str, max: usize) -> String {
    if is_dns1123_label(text) && text.len() <= max {
        return text.to_owned();
    }
    let slug = slug(text, usize::MAX);
    hashed(if slug.is_empty() { "x" } else { &slug }, text, max)
}

/// `pr.branchSlug` and the `slug` filter: lowercase ASCII letters and digits, every run of other
/// characters one `-`, no `-` at either end, at most `max` characters.
pub fn slug(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_rules() {
        assert!(is_dns1123_label("shop-pr-123"));
        assert!(is_dns1123_label("1abc"));
        assert!(!is_dns1035_label("1abc"));
        assert!(!is_dns1123_label("Shop"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("preview.example.com"));
        assert!(!is_dns_subdomain("preview..example.com"));
    }

    #[test]
    fn short_names_are_kept() {
        assert_eq!(fit("api", 63), "api");
        assert_eq!(join(&["api", "migrate"], 63), "api-migrate");
    }

    #[test]
    fn long_names_are_shortened_stably_and_distinctly() {
        let a = format!("{}-one", "x".repeat(70));
        let b = format!("{}-two", "x".repeat(70));
        let (fa, fb) = (fit(&a, 63), fit(&b, 63));
        assert_eq!(fa.len(), 63);
        assert_ne!(fa, fb, "a shared prefix must not collide");
        assert_eq!(fa, fit(&a, 63), "stable");
        assert!(is_dns1123_label(&fa));
    }

    #[test]
    fn a_dash_at_the_cut_is_dropped() {
        let name = format!("{}-{}", "a".repeat(53), "b".repeat(20));
        let short = fit(&name, 63);
        assert!(is_dns1123_label(&short), "{short}");
        assert!(!short.contains("--"));
    }

    #[test]
    fn a_cut_inside_a_character_still_shortens() {
        let name = format!("{}é{}", "a".repeat(53), "b".repeat(20));
        let short = fit(&name, 63);
        assert!(short.len() <= 63, "{short}");
        assert!(short.starts_with(&"a".repeat(53)) && !short.contains('é'), "{short}");
        assert_ne!(short, fit(&format!("{}é{}", "a".repeat(53), "c".repeat(20)), 63));
    }

    #[test]
    fn shared_names_never_meet_across_previews() {
        let a = shared("a-pr-1", &["pr-2-db"], MAX_LABEL);
        let b = shared("a-pr-1-pr-2", &["db"], MAX_LABEL);
        assert!(a.starts_with("a-pr-1-pr-2-db-") && b.starts_with("a-pr-1-pr-2-db-"), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, shared("a-pr-1", &["pr-2-db"], MAX_LABEL), "stable");
        let long = shared(&"n".repeat(63), &["nightly.anonymized", "base"], MAX_LABEL);
        assert_eq!(long.len(), MAX_LABEL);
        assert!(is_dns_subdomain(&long), "{long}");
        let dotted = shared("shop-pr-1", &["x.", "base"], 20);
        assert!(is_dns_subdomain(&dotted), "{dotted}");
    }

    #[test]
    fn any_text_becomes_a_distinct_label() {
        assert_eq!(label_from("nightly", 63), "nightly");
        let a = label_from("Nightly.Anonymized", 63);
        let b = label_from("nightly-anonymized", 63);
        assert!(is_dns1123_label(&a), "{a}");
        assert_ne!(a, b);
    }
}
