//! The plugin's search for the spec's file and its lock, on kustomization trees in memory.

use std::path::{Path, PathBuf};

use super::{PluginError, Sources, find_lock, generate, original};
use crate::files::Memory;
use crate::krm::locate::LockFileError;

const LOCK: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots: {}\n";

fn spec(name: &str) -> String {
    format!(
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: {name}\nspec:\n  services:\n    \
         api: {{image: 'registry.example.com/api:1', port: 8080, env: {{A: 0x1F}}}}\n"
    )
}

/// What kustomize hands over for `spec("shop")`: the same spec, its plain scalars retyped.
const RECEIVED: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: shop\nspec:\n  \
                        services:\n    api: {image: 'registry.example.com/api:1', port: 8080, env: {A: '31'}}\n";

/// The overlays layout: `/k` generates from the directory `spec`, whose kustomization lists the
/// spec's file.
fn directory_generator() -> Memory {
    Memory::new()
        .file("/k/kustomization.yaml", "generators: [spec]\n")
        .file("/k/spec/kustomization.yaml", "resources: [preview.yaml]\n")
        .file("/k/spec/preview.yaml", spec("shop"))
}

fn search(files: &Memory) -> Result<super::Search, LockFileError> {
    find_lock(files, &Sources::find(files, Path::new("/k"), RECEIVED))
}

#[test]
fn the_lock_of_the_generator_s_kustomization_comes_first() {
    let files = directory_generator().file("/k/preview.lock", LOCK).file("/k/spec/preview.lock", LOCK);
    let found = search(&files).expect("a lock");
    assert_eq!(found.explain(), "(read /k/preview.lock)");
}

#[test]
fn a_directory_generator_s_lock_is_beside_the_spec_s_file() {
    let files = directory_generator().file("/k/spec/preview.lock", LOCK);
    let found = search(&files).expect("a lock");
    assert!(found.lock().is_some());
    assert_eq!(found.explain(), "(read /k/spec/preview.lock)");
}

#[test]
fn without_a_lock_every_place_looked_at_is_named() {
    let found = search(&directory_generator()).expect("no lock");
    assert!(found.lock().is_none());
    assert_eq!(found.explain(), "(looked for /k/preview.lock, /k/spec/preview.lock; none exists)");
}

#[test]
fn a_lock_linked_out_of_its_directory_is_refused() {
    let files = directory_generator().link("/k/spec/preview.lock", "/etc/preview.lock").file("/etc/preview.lock", LOCK);
    let error = search(&files).expect_err("a link out");
    assert_eq!(
        error.to_string(),
        "/k/spec/preview.lock: it is a symbolic link to /etc/preview.lock, outside the spec's directory; commit the \
         lock file itself"
    );
    assert!(!files.opened().contains(&PathBuf::from("/k/spec/preview.lock")), "the linked lock is never opened");
}

#[test]
fn an_oversized_lock_is_refused() {
    let big = format!("{LOCK}#{}\n", "x".repeat(crate::yaml::MAX_SPEC_BYTES));
    let files = directory_generator().file("/k/preview.lock", big);
    let error = search(&files).expect_err("too large");
    assert_eq!(error.to_string(), "/k/preview.lock: /k/preview.lock is larger than the 1048576 bytes kpreview reads");
}

#[test]
fn locks_beside_two_files_of_the_spec_are_refused() {
    let files = Memory::new()
        .file("/k/kustomization.yaml", "generators: [a, b]\n")
        .file("/k/a/kustomization.yaml", "resources: [preview.yaml]\n")
        .file("/k/a/preview.yaml", spec("shop"))
        .file("/k/a/preview.lock", LOCK)
        .file("/k/b/kustomization.yaml", "resources: [../a, preview.yaml]\n")
        .file("/k/b/preview.yaml", spec("shop"))
        .file("/k/b/preview.lock", LOCK);
    let error = search(&files).expect_err("two locks");
    assert!(matches!(&error, LockFileError::Several { paths, .. } if paths.len() == 2), "{error}");
    assert!(error.to_string().contains("(/k/a/preview.lock, /k/b/preview.lock)"), "{error}");
}

#[test]
fn a_kustomization_cycle_ends() {
    let files = Memory::new()
        .file("/k/kustomization.yaml", "generators: [a]\n")
        .file("/k/a/kustomization.yaml", "resources: [../b]\n")
        .file("/k/b/kustomization.yaml", "resources: [../a, https://example.com/x, github.com/o/r]\n");
    let found = search(&files).expect("no lock");
    assert_eq!(found.explain(), "(looked for /k/preview.lock, /k/a/preview.lock; none exists)");
}

#[test]
fn the_spec_is_read_as_written() {
    let files = Memory::new()
        .file("/k/kustomization.yaml", "generators: [preview.yaml]\n")
        .file("/k/preview.yaml", spec("shop"));
    let sources = Sources::find(&files, Path::new("/k"), RECEIVED);
    assert_eq!(original(&files, &sources, RECEIVED), Some(("/k/preview.yaml".to_owned(), spec("shop"))));

    let files = directory_generator();
    let sources = Sources::find(&files, Path::new("/k"), RECEIVED);
    let (name, text) = original(&files, &sources, RECEIVED).expect("the spec's file");
    assert_eq!(name, "the Preview generator of /k (the spec of /k/spec/preview.yaml, as kustomize patched it)");
    assert!(text.contains("0x1F") && !text.contains("31"), "the retyped scalar is given back its text:\n{text}");

    let other = RECEIVED.replace("name: shop", "name: other");
    let sources = Sources::find(&files, Path::new("/k"), &other);
    assert_eq!(original(&files, &sources, &other), None, "another spec's file is not this one's");
}

/// A spec whose data store is seeded by tags: it renders only with its lock.
const TAGGED: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata:\n  name: blog\nspec:\n  \
                      pullRequest: {number: 3, headSha: abc1234}\n  dataStores:\n    \
                      db: {engine: postgres, seed: {snapshot: {tags: {app: blog}}}}\n";
const PINNED: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots:\n  db:\n    tags: {app: blog}\n    \
                      snapshotId: snap-0123456789abcdef0\n    startTime: '2026-11-21T02:14:09Z'\n";

#[test]
fn a_generator_renders_with_the_lock_beside_its_spec_s_file() {
    let files = Memory::new()
        .file("/k/kustomization.yaml", "generators: [spec]\n")
        .file("/k/spec/kustomization.yaml", "resources: [preview.yaml]\n")
        .file("/k/spec/preview.yaml", TAGGED);
    let run = |files: &Memory| {
        let inputs = crate::spec::defaults::Inputs::default();
        generate(files, Path::new("/k"), TAGGED.to_owned(), &inputs, &crate::policy::Policy::default())
    };
    let Err(PluginError::Problems(problems)) = run(&files) else { panic!("renders without its lock") };
    let message = problems.to_string();
    assert!(message.contains("no snapshot is pinned for `db`"), "{message}");
    assert!(message.contains("(looked for /k/preview.lock, /k/spec/preview.lock; none exists)"), "{message}");

    let files = files.file("/k/spec/preview.lock", PINNED);
    let generated = run(&files).expect("renders");
    assert_eq!(
        generated.name,
        "the Preview generator of /k (the spec of /k/spec/preview.yaml, as kustomize patched it)"
    );
    let yaml = crate::render(&generated.model).to_yaml().expect("yaml");
    assert!(yaml.contains("snapshotHandle: snap-0123456789abcdef0"), "{yaml}");
}
