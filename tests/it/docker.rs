//! The image's build context, rebuilt offline: `.dockerignore` decides which files reach the
//! daemon (read with Docker's rules), the build stage's `COPY`s which of them reach cargo, and
//! cargo must accept the manifest there. `cargo fetch --locked --offline` parses every target the
//! manifest names and checks the lock file without compiling anything, so a file the manifest
//! needs (the `[[bench]]` once was) can never again be left out of the image unnoticed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{describe, root, tempdir};

/// One line of `.dockerignore`, as Docker reads it (moby `patternmatcher`, `dockerignore.ReadAll`).
struct Pattern {
    /// A `!` line: what matches is sent after all.
    keep: bool,
    /// The cleaned pattern's components (`**` matches any number of them).
    parts: Vec<String>,
}

/// The patterns of a `.dockerignore` text: comments and blank lines skipped, surrounding space
/// trimmed, a leading `!` an exception, then cleaned as Go's `filepath.Clean` does (no leading or
/// trailing `/`, no `.` components).
fn patterns(text: &str) -> Vec<Pattern> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim();
        let (keep, pattern) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        assert!(!pattern.contains(['[', '\\']), "this reader does not know character classes or escapes: {pattern}");
        let parts: Vec<String> = pattern.split('/').filter(|p| !p.is_empty() && *p != ".").map(str::to_owned).collect();
        if !parts.is_empty() {
            out.push(Pattern { keep, parts });
        }
    }
    out
}

/// `*` and `?` within one component, as Go's `filepath.Match`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// Whether the pattern's components match the path's, `**` standing for any number of them.
fn matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => (0..=path.len()).any(|i| matches(rest, &path[i..])),
        Some((first, rest)) => {
            path.first().is_some_and(|p| glob(first.as_bytes(), p.as_bytes())) && matches(rest, &path[1..])
        }
    }
}

/// Whether a pattern could match something below `dir` (so an excluded `dir` must still be read).
fn may_match_below(pattern: &[String], dir: &[&str]) -> bool {
    for (i, part) in pattern.iter().enumerate() {
        if part == "**" {
            return true;
        }
        match dir.get(i) {
            None => return true,
            Some(name) if !glob(part.as_bytes(), name.as_bytes()) => return false,
            Some(_) => {}
        }
    }
    false
}

/// Whether Docker leaves `path` out of the context: the last pattern that matches it or one of
/// its parent directories decides.
fn excluded(patterns: &[Pattern], path: &[&str]) -> bool {
    let mut out = false;
    for pattern in patterns {
        if (1..=path.len()).any(|n| matches(&pattern.parts, &path[..n])) {
            out = !pattern.keep;
        }
    }
    out
}

/// Copies into `to` exactly the files of `from` that `.dockerignore`'s patterns let through.
fn context(from: &Path, patterns: &[Pattern], to: &Path) {
    fn walk(dir: &Path, rel: &mut Vec<String>, patterns: &[Pattern], to: &Path) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read_dir").map(|e| e.expect("entry")).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            rel.push(entry.file_name().to_string_lossy().into_owned());
            let parts: Vec<&str> = rel.iter().map(String::as_str).collect();
            let out = excluded(patterns, &parts);
            if entry.file_type().expect("type").is_dir() {
                if !out || patterns.iter().any(|p| p.keep && may_match_below(&p.parts, &parts)) {
                    walk(&entry.path(), rel, patterns, to);
                }
            } else if !out {
                let target = to.join(rel.join("/"));
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::copy(entry.path(), &target).expect("copy into the context");
            }
            rel.pop();
        }
    }
    walk(from, &mut Vec::new(), patterns, to);
}

/// The build stage's `COPY` instructions (not `COPY --from`), as (sources, destination).
fn build_copies(dockerfile: &str) -> Vec<(Vec<String>, String)> {
    let joined = dockerfile.replace("\\\n", " ");
    let mut stage = false;
    let mut copies = Vec::new();
    for line in joined.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => stage = line.to_ascii_lowercase().ends_with(" as build"),
            Some("WORKDIR") if stage => assert_eq!(words.next(), Some("/src"), "the build stage works in /src"),
            Some("COPY") if stage => {
                let args: Vec<String> = words.filter(|w| !w.starts_with("--")).map(str::to_owned).collect();
                assert!(line.split_whitespace().all(|w| !w.starts_with("--from")), "{line}");
                let (dest, sources) = args.split_last().expect("COPY has a destination");
                copies.push((sources.to_vec(), dest.clone()));
            }
            _ => {}
        }
    }
    assert!(!copies.is_empty(), "the Dockerfile has no build stage copying the sources");
    copies
}

/// Carries out the copies from the context into the build stage's working directory.
fn apply_copies(copies: &[(Vec<String>, String)], context: &Path, workdir: &Path) {
    for (sources, dest) in copies {
        for source in sources {
            assert!(!source.contains(['*', '?']), "globs in COPY sources are not supported here: {source}");
            let from = context.join(source);
            assert!(from.exists(), "COPY {source}: not in the build context, so `docker build` fails");
            if from.is_dir() {
                crate::function_modes::copy_dir(&from, &workdir.join(dest));
            } else {
                let name = Path::new(source).file_name().expect("a file name");
                let to = if dest.ends_with('/') || sources.len() > 1 {
                    workdir.join(dest).join(name)
                } else {
                    workdir.join(dest)
                };
                std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                std::fs::copy(&from, &to).expect("copy");
            }
        }
    }
}

/// The host's target triple, so `cargo fetch` asks only for what this machine's builds downloaded.
fn host() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("run rustc -vV");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc names its host").to_owned()
}

/// The build stage's `/src` for a `.dockerignore` text (leaving out the `COPY`s of `skip`), and
/// cargo's verdict on the manifest there.
fn build_stage(dockerignore: &str, skip: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempdir();
    let (ctx, workdir) = (dir.path().join("context"), dir.path().join("src"));
    context(&root(), &patterns(dockerignore), &ctx);
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let copies: Vec<_> = build_copies(&dockerfile)
        .into_iter()
        .filter(|(sources, _)| !sources.iter().any(|s| skip.contains(&s.as_str())))
        .collect();
    apply_copies(&copies, &ctx, &workdir);
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let output = Command::new(cargo)
        .args(["fetch", "--locked", "--offline", "--target", &host()])
        .current_dir(&workdir)
        .output()
        .expect("run cargo fetch");
    (dir, output)
}

#[test]
fn the_image_build_stage_has_every_file_the_manifest_names() {
    let dockerignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    let (dir, output) = build_stage(&dockerignore, &[]);
    assert!(output.status.success(), "cargo rejects the manifest in the image's build stage:\n{}", describe(&output));
    let sent = dir.path().join("context");
    assert!(sent.join("src/main.rs").exists() && sent.join("Cargo.lock").exists());
    assert!(!sent.join("target").exists() && !sent.join(".git").exists(), "the context must stay small");

    // The check bites: the context the image once had (no benches/) is refused.
    let kept: Vec<&str> = dockerignore.lines().filter(|l| l.trim() != "!benches/").collect();
    let without = kept.join("\n") + "\n";
    assert_ne!(without, dockerignore, ".dockerignore no longer lets benches/ through by that line");
    let (_dir, output) = build_stage(&without, &["benches"]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("can't find `render` bench"), "{}", describe(&output));
}

#[test]
fn dockerignore_patterns_read_as_docker_reads_them() {
    fn path(s: &str) -> Vec<&str> {
        s.split('/').collect()
    }
    let p = patterns("# comment\n*\n!src/\n  !docs/**/*.md \n/build/./out/\n");
    assert!(excluded(&p, &path("target/debug/kpreview")));
    assert!(!excluded(&p, &path("src/cli/gitops.rs")));
    assert!(!excluded(&p, &path("docs/a/b/c.md")) && !excluded(&p, &path("docs/c.md")));
    assert!(excluded(&p, &path("docs/c.svg")));
    assert!(excluded(&p, &path("build/out/x")));
    assert!(may_match_below(&p[2].parts, &path("docs")) && !may_match_below(&p[1].parts, &path("target")));
}
