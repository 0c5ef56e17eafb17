//! The repository stands alone: a user clones it by itself, so nothing it builds or tests may
//! reach outside it (the product contract's own folder sits beside it only on our machines).

use std::process::Command;

use crate::support::root;

#[test]
fn no_tracked_file_reaches_outside_the_repository() {
    let listed = Command::new("git").args(["ls-files", "-z"]).current_dir(root()).output().expect("git ls-files");
    assert!(listed.status.success(), "git ls-files failed");
    let needle = ["..", "shared"].join("/");
    let offenders: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .split('\0')
        .filter(|path| !path.is_empty())
        .filter(|path| {
            std::fs::read(root().join(path)).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(&needle))
        })
        .map(str::to_owned)
        .collect();
    assert!(offenders.is_empty(), "these files read `{needle}`, which a clone does not have: {offenders:?}");
}
