//! Small value checks shared by validation and rendering: environment variable names, commit SHAs
//! and image references. Quantities and durations are types of their own, in [`crate::k8s`].

use crate::fault::{Fault, HasFault};

/// Whether `name` is an environment variable name kubectl accepts and a shell can use.
pub fn is_env_name(name: &str) -> bool {
    name.len() <= 256
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// `bank-gateway` → `BANK_GATEWAY`.
pub fn upper_snake(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// A commit SHA: 7 to 64 lowercase hex digits.
pub fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a text is not an image reference kubelet can pull. Always the input's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Nothing at all.
    #[error("image is empty")]
    Empty,
    /// Spaces, control characters or more than 512 characters.
    #[error("`{0}` is not an image reference (no spaces, at most 512 characters)")]
    Unreadable(String),
    /// One part of the reference is wrong.
    #[error("`{image}` is not an image reference: {part}")]
    Part {
        /// The whole reference.
        image: String,
        /// What is wrong with which part.
        part: ImagePart,
    },
    /// A bad tag that came from `{{ pr.branch }}`: the slug is the fix.
    #[error("{0}; a branch name is not a tag, use `{{{{ pr.branchSlug }}}}` instead of `{{{{ pr.branch }}}}`")]
    TagFromBranch(Box<ImageError>),
}

/// The part of an image reference that breaks the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagePart {
    /// The registry host.
    #[error("`{0}` is not a registry host such as `registry.example.com:5000`")]
    Host(String),
    /// The repository path has capitals.
    #[error("the repository path `{0}` must be lowercase")]
    UppercasePath(String),
    /// The repository path is otherwise malformed.
    #[error(
        "the repository path `{0}` may hold only lowercase letters, digits and `/`-separated parts joined by `.`, \
         `_` or `-`"
    )]
    Path(String),
    /// Host and path are too long together.
    #[error("the name before the tag is longer than 255 characters")]
    NameTooLong,
    /// The tag.
    #[error(
        "the tag `{0}` may hold only letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)"
    )]
    Tag(String),
    /// The digest.
    #[error("the digest `{0}` is not `sha256:` and 64 lowercase hex digits")]
    Digest(String),
}

impl HasFault for ImageError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

impl ImageError {
    /// Whether it is about the tag (or the length of the name before it), which a branch name
    /// used as a tag breaks.
    fn is_about_the_tag(&self) -> bool {
        matches!(self, Self::Part { part: ImagePart::Tag(_) | ImagePart::NameTooLong, .. })
    }
}

/// An image reference kubelet can pull, by the grammar of the distribution project's `reference`
/// package (what containerd and CRI-O parse): `[host[:port]/]path[:tag][@digest]`, the path's
/// components lowercase, the tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, the digest
/// `sha256:<64 hex>` (or sha384, sha512). Anything else fails at pull time as
/// `InvalidImageName`, long after Argo CD reported the sync as done.
pub fn check_image(image: &str) -> Result<(), ImageError> {
    if image.is_empty() {
        return Err(ImageError::Empty);
    }
    if image.len() > 512 || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ImageError::Unreadable(image.to_owned()));
    }
    let bad = |part: ImagePart| ImageError::Part { image: image.to_owned(), part };
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if let Some(digest) = digest {
        check_digest(digest).map_err(bad)?;
    }
    // The first component is a registry host when it looks like one (Docker's rule).
    let (host, remote) = match rest.split_once('/') {
        Some((first, remote))
            if first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), remote)
        }
        _ => (None, rest),
    };
    if let Some(host) = host {
        check_host(host).map_err(bad)?;
    }
    let (path, tag) = match remote.split_once(':') {
        Some((path, tag)) => (path, Some(tag)),
        None => (remote, None),
    };
    check_path(path).map_err(bad)?;
    if host.map_or(0, |h| h.len() + 1) + path.len() > 255 {
        return Err(bad(ImagePart::NameTooLong));
    }
    if let Some(tag) = tag {
        check_tag(tag).map_err(bad)?;
    }
    Ok(())
}

/// Whether an image reference runs whatever `:latest` is when a node pulls it: no digest, and no
/// tag or the tag `latest`. Two pods of one preview may then run different code.
pub fn is_floating(image: &str) -> bool {
    let tag = image.rsplit('/').next().unwrap_or(image).split_once(':').map(|(_, tag)| tag);
    !image.contains('@') && matches!(tag, None | Some("latest"))
}

/// The warning for an image [`is_floating`].
pub fn floating_warning(image: &str) -> String {
    let what = if image.ends_with(":latest") { "is tagged `latest`" } else { "has no tag or digest" };
    format!(
        "`{image}` {what}, so it runs `:latest` as of whenever a node pulls it; pin a version tag or a \
         digest (for the pull request's own build, a tag such as `:{{{{ pr.headSha }}}}`)"
    )
}

/// [`check_image`] for an image rendered from `template`: a bad tag that came from
/// `{{ pr.branch }}` gets the fix.
pub fn check_image_template(image: &str, template: &str) -> Result<(), ImageError> {
    check_image(image).map_err(|e| {
        let from_branch = template.replace("pr.branchSlug", "").contains("pr.branch");
        if from_branch && e.is_about_the_tag() { ImageError::TagFromBranch(Box::new(e)) } else { e }
    })
}

/// `host[:port]`: DNS labels (any case) or a bracketed IPv6 address, and a numeric port.
fn check_host(host: &str) -> Result<(), ImagePart> {
    let bad = || ImagePart::Host(host.to_owned());
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or_else(bad)?;
            let address_ok =
                address.contains(':') && address.chars().all(|c| c.is_ascii_hexdigit() || ":.".contains(c));
            if !address_ok || !(after.is_empty() || after.starts_with(':')) {
                return Err(bad());
            }
            (None, after.strip_prefix(':'))
        }
        None => match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        },
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let name_ok = name.is_none_or(|n| n.split('.').all(label));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if name_ok && port_ok { Ok(()) } else { Err(bad()) }
}

/// Path components: lowercase letters and digits, joined within a component by `.`, `_`, `__`
/// or runs of `-`.
fn check_path(path: &str) -> Result<(), ImagePart> {
    let component = |c: &str| {
        let bytes = c.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let mut i = 0;
        while i < bytes.len() {
            if !alnum(bytes[i]) {
                return false;
            }
            while i < bytes.len() && alnum(bytes[i]) {
                i += 1;
            }
            if i == bytes.len() {
                return true;
            }
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let separator = &c[start..i];
            if !(separator == "." || separator == "_" || separator == "__" || separator.bytes().all(|b| b == b'-')) {
                return false;
            }
        }
        false
    };
    if path.split('/').all(component) {
        return Ok(());
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ImagePart::UppercasePath(path.to_owned()));
    }
    Err(ImagePart::Path(path.to_owned()))
}

fn check_tag(tag: &str) -> Result<(), ImagePart> {
    let valid = (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        return Ok(());
    }
    Err(ImagePart::Tag(tag.to_owned()))
}

fn check_digest(digest: &str) -> Result<(), ImagePart> {
    let hex_len = match digest.split_once(':') {
        Some(("sha256", hex)) => (hex, 64),
        Some(("sha384", hex)) => (hex, 96),
        Some(("sha512", hex)) => (hex, 128),
        _ => ("", 0),
    };
    let (hex, len) = hex_len;
    if len > 0 && hex.len() == len && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Ok(());
    }
    Err(ImagePart::Digest(digest.to_owned()))
}

/// Why an environment variable looks like it holds a secret, if it does: a name that says so
/// with a value that is more than a reference to another variable, or a URL with a password in
/// it. A warning, not an error: a preview's throwaway test key is the team's call.
pub fn secret_literal(name: &str, value: &str) -> Option<String> {
    const SECRET_WORDS: [&str; 9] =
        ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL"];
    let upper = name.to_ascii_uppercase();
    let only_reference = value.starts_with("$(") && value.ends_with(')') && value.matches("$(").count() == 1;
    if !value.is_empty() && !only_reference && SECRET_WORDS.iter().any(|w| upper.contains(w)) {
        return Some(format!("`{name}` looks like a secret"));
    }
    let userinfo = value.split_once("://").and_then(|(_, rest)| rest.split(['/', '?', '#']).next()?.rsplit_once('@'));
    match userinfo {
        Some((user, _))
            if user
                .split_once(':')
                .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with("$(")) =>
        {
            Some(format!("the value of `{name}` holds a password in its URL"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_shas() {
        assert!(is_env_name("DATABASE_URL"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A=B"));
        assert_eq!(upper_snake("bank-gateway"), "BANK_GATEWAY");
        assert!(is_sha("4f9c2d1"));
        assert!(!is_sha("4F9C2D1"));
        assert!(!is_sha("xyz1234"));
    }

    #[test]
    fn an_image_without_tag_or_digest_or_tagged_latest_floats() {
        for floating in
            ["app", "registry.example.com:5000/shop/web", "docker.io/library/nginx", "ghcr.io/acme/api:latest"]
        {
            assert!(is_floating(floating), "{floating}");
        }
        for pinned in ["app:1", "registry.example.com:5000/shop/web:abc", "nginx@sha256:0", "app:latest@sha256:0"] {
            assert!(!is_floating(pinned), "{pinned}");
        }
    }

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let digest = format!("sha256:{}", "a".repeat(64));
        for good in [
            "nginx",
            "nginx:1.27",
            "library/nginx:1.27-alpine",
            "registry.example.com/shop/api:4f9c2d1",
            "Registry.Example.com:5000/team/app_v2__x.y--z:V1.0_rc",
            "localhost/app",
            "localhost:5000/app:latest",
            "[::1]:5000/app",
            &format!("ghcr.io/kpreview/kpreview@{digest}"),
            &format!("ghcr.io/kpreview/kpreview:0.1.0@{digest}"),
        ] {
            assert_eq!(check_image(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("a b", "no spaces"),
            ("", "empty"),
            ("Registry.example.com/Team/API:v1", "must be lowercase"),
            ("shop/API", "must be lowercase"),
            ("shop/api:feature/cart", "the tag `feature/cart`"),
            ("shop/api:-x", "the tag"),
            ("shop/api:", "the tag"),
            (":tag", "repository path"),
            ("shop//api", "repository path"),
            ("shop/api-", "repository path"),
            ("shop/a..b", "repository path"),
            ("registry.example.com:port/app", "registry host"),
            ("-bad.example.com/app", "registry host"),
            ("app@sha256:abc", "digest"),
            ("app@md5:0123", "digest"),
        ] {
            let err = check_image(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(check_image(&format!("a/{}", "b".repeat(260))).unwrap_err().to_string().contains("255"));
    }

    #[test]
    fn a_tag_from_a_branch_name_gets_the_slug_as_its_fix() {
        let err = check_image_template("reg.example.com/api:feature/Cart-V2", "reg.example.com/api:{{ pr.branch }}");
        assert!(err.unwrap_err().to_string().contains("use `{{ pr.branchSlug }}`"));
        let err = check_image_template("reg.example.com/api:-x", "reg.example.com/api:{{ pr.branchSlug }}");
        assert!(!err.unwrap_err().to_string().contains("branchSlug"));
    }
}
