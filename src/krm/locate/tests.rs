//! The one lock reader, on files in memory.

use std::path::{Path, PathBuf};

use super::{LockFileError, Search, read_beside};
use crate::fault::{Fault, HasFault};
use crate::files::{Memory, ReadError};

const LOCK: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\nsnapshots: {}\n";

fn read(files: &Memory) -> Result<bool, LockFileError> {
    read_beside(files, Path::new("/pkg/app")).map(|lock| lock.is_some())
}

#[test]
fn a_lock_is_read_when_it_is_there() {
    assert!(!read(&Memory::new().dir("/pkg/app")).expect("none"));
    assert!(read(&Memory::new().file("/pkg/app/preview.lock", LOCK)).expect("a lock"));
    let inside = Memory::new().file("/pkg/app/locks/main", LOCK).link("/pkg/app/preview.lock", "locks/main");
    assert!(read(&inside).expect("a link that stays inside"));
}

#[test]
fn a_link_out_of_the_spec_s_directory_is_refused_before_it_is_read() {
    for target in ["/dev/zero", "../secret.lock", "/pkg/app/../other/preview.lock"] {
        let files = Memory::new()
            .device("/dev/zero")
            .file("/pkg/secret.lock", LOCK)
            .file("/pkg/other/preview.lock", LOCK)
            .link("/pkg/app/preview.lock", target);
        let error = read(&files).expect_err(target);
        assert!(matches!(error, LockFileError::Outside { .. }), "{target}: {error}");
        assert!(error.to_string().starts_with("/pkg/app/preview.lock: it is a symbolic link to /"), "{error}");
        assert!(files.opened().is_empty(), "{target} was opened");
        assert_eq!(error.fault(), Fault::Input);
    }
    let dangling = Memory::new().dir("/pkg/app").link("/pkg/app/preview.lock", "nowhere");
    let error = read(&dangling).expect_err("a dangling link");
    assert_eq!(
        error.to_string(),
        "/pkg/app/preview.lock: it is a symbolic link to nothing (its target does not exist); commit the lock file \
         itself"
    );
}

#[test]
fn a_lock_is_a_small_regular_file() {
    let device = Memory::new().device("/pkg/app/preview.lock");
    let error = read(&device).expect_err("a device");
    assert_eq!(error.to_string(), "/pkg/app/preview.lock: /pkg/app/preview.lock is not a regular file");
    assert!(device.opened().is_empty());

    let big = Memory::new().file("/pkg/app/preview.lock", format!("{LOCK}#{}", "x".repeat(1 << 20)));
    let error = read(&big).expect_err("too large");
    assert!(matches!(error, LockFileError::Read { error: ReadError::TooLarge { .. }, .. }), "{error}");

    let other = Memory::new().file("/pkg/app/preview.lock", "apiVersion: v1\nkind: ConfigMap\n");
    let error = read(&other).expect_err("not a lock");
    assert!(matches!(error, LockFileError::Parse { .. }), "{error}");
    assert!(error.to_string().starts_with("/pkg/app/preview.lock: "), "{error}");
}

#[test]
fn a_search_names_every_place_once() {
    let files = Memory::new().dir("/a").dir("/b");
    let mut search = Search::new();
    for dir in ["/a", "/b", "/a"] {
        assert!(search.look(&files, Path::new(dir)).expect("look").is_none());
    }
    assert_eq!(search.searched, [PathBuf::from("/a/preview.lock"), PathBuf::from("/b/preview.lock")]);
    assert_eq!(search.explain(), "(looked for /a/preview.lock, /b/preview.lock; none exists)");
    search.searched.pop();
    assert_eq!(search.explain(), "(looked for /a/preview.lock, which does not exist)");
}
