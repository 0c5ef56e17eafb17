//! Writing `preview.lock` atomically: the new text goes to a temporary file beside it, which
//! then replaces it by a rename, so a reader (or a crash) sees the old lock or the new one,
//! never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::LockError;
use crate::files::{Disk, SMALL, read_file};
use crate::spec::lockfile::{FILE_NAME, Lock};

/// Whether writing changed the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file now holds the new lock.
    Replaced,
    /// It already held exactly this text and was left alone.
    Unchanged,
}

/// Writes `lock` to `dir/preview.lock`, unless it already says exactly that.
pub fn write(dir: &Path, lock: &Lock) -> Result<(PathBuf, Written), LockError> {
    let path = dir.join(FILE_NAME);
    let text = lock.to_text()?;
    // Bounded, and never a device: the old lock is the pull request's (`-> /dev/zero`).
    if read_file(&Disk, &path, SMALL).is_ok_and(|old| old.as_deref() == Some(text.as_str())) {
        return Ok((path, Written::Unchanged));
    }
    crate::output::replace_file(&path, |file| file.write_all(text.as_bytes()))
        .map_err(|source| LockError::Io { path: path.clone(), source })?;
    Ok((path, Written::Replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_in_place_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "old").unwrap();
        let lock = Lock::new();
        assert_eq!(write(dir.path(), &lock).unwrap().1, Written::Replaced);
        assert_eq!(write(dir.path(), &lock).unwrap().1, Written::Unchanged);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(Lock::parse(&text).unwrap(), lock);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    #[cfg(unix)]
    fn an_old_lock_linked_to_a_device_is_replaced_unread() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(write(dir.path(), &Lock::new()).unwrap().1, Written::Replaced);
        assert!(std::fs::symlink_metadata(dir.path().join(FILE_NAME)).unwrap().is_file());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = write(&dir.path().join("nope"), &Lock::new()).unwrap_err();
        assert!(err.to_string().contains("preview.lock"), "{err}");
    }
}
