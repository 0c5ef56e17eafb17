//! Writing a render to a directory without ever leaving it half-written: the files go to a new
//! directory beside it, which then takes its place in one step. A directory that holds anything
//! kpreview did not write is never replaced.
//!
//! On Linux the two directories swap in one `renameat2(RENAME_EXCHANGE)`: at every moment `DIR`
//! is either the old render or the new one. Where the file system cannot swap (some network and
//! FUSE file systems, other kernels) the old one is moved aside and the new one moved in, which
//! leaves a moment without `DIR`. The files and both directories are fsynced first, so after a
//! crash `DIR` holds a whole render, never empty files.
//!
//! A single file (a summary, a lock file, an installed plugin) goes to a temporary file beside it,
//! which is then renamed into place.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What could go wrong writing a render to disk.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target holds files that are not a kpreview render.
    #[error(
        "refusing to replace {dir}: it holds {file}, which kpreview did not write; choose a new or empty directory"
    )]
    Foreign {
        /// The target directory.
        dir: PathBuf,
        /// One foreign entry.
        file: String,
    },
    /// The file system refused.
    #[error("cannot write {path}: {error}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why; not a `source`: the message holds it whole.
        error: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |error| OutputError::Io { path: path.to_owned(), error: plain(error) }
}

/// The operating system's error without the name of the temporary file `tempfile` adds to it
/// (`… at path "/out/.kpreview-new-c3X4kJ"`): the message names the directory instead.
fn plain(error: io::Error) -> io::Error {
    // `tempfile` wraps the error in its own type, whose text is `<error> at path "<temp>"`.
    let text = error.get_ref().map(ToString::to_string);
    match text.as_deref().and_then(|t| t.split_once(" at path \"")) {
        Some((why, _)) => io::Error::new(error.kind(), why.to_owned()),
        None => error,
    }
}

/// The label every rendered object carries.
const MARKER: &str = "app.kubernetes.io/managed-by: kpreview";

/// Replaces `dir` with exactly `files` (name, content). On any error `dir` is as it was.
pub fn replace_dir(dir: &Path, files: &[(String, String)]) -> Result<(), OutputError> {
    check_replaceable(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_at(&parent))?;
    let staging = tempfile::Builder::new().prefix(".kpreview-new-").tempdir_in(&parent).map_err(io_at(&parent))?;
    for (name, content) in files {
        let path = staging.path().join(name);
        write_synced(&path, content).map_err(io_at(&path))?;
    }
    sync_dir(staging.path()).map_err(io_at(staging.path()))?;
    if dir.exists() {
        // After a swap the staging directory holds the old render; dropping it removes it.
        if !exchange(staging.path(), dir).map_err(io_at(dir))? {
            move_aside_and_in(staging.path(), dir, &parent)?;
        }
    } else {
        fs::rename(staging.path(), dir).map_err(io_at(dir))?;
    }
    sync_dir(&parent).map_err(io_at(&parent))
}

/// The two-rename replacement, for file systems that cannot swap.
fn move_aside_and_in(staging: &Path, dir: &Path, parent: &Path) -> Result<(), OutputError> {
    let old = tempfile::Builder::new().prefix(".kpreview-old-").tempdir_in(parent).map_err(io_at(parent))?;
    let old_path = old.path().join("render");
    fs::rename(dir, &old_path).map_err(io_at(dir))?;
    if let Err(source) = fs::rename(staging, dir) {
        let _ = fs::rename(&old_path, dir);
        return Err(OutputError::Io { path: dir.to_owned(), error: source });
    }
    Ok(())
}

/// Swaps two directories atomically; `false` when the file system or kernel cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

fn write_synced(path: &Path, content: &str) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

/// Makes a directory's entries durable (its new files, a rename into it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether `name` is how [`crate::render::Manifests::file_names`] names a file:
/// `NNN-kind-name.yaml`, such as `012-deployment-api.yaml`.
fn is_render_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".yaml") else {
        return false;
    };
    let mut parts = stem.splitn(3, '-');
    let (Some(index), Some(kind), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    index.len() >= 3
        && index.bytes().all(|b| b.is_ascii_digit())
        && !kind.is_empty()
        && kind.bytes().all(|b| b.is_ascii_lowercase())
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// A file kpreview wrote: named as it names files, and carrying the label every rendered object
/// carries. Either alone is not enough: a hand-written overlay may carry the label.
fn is_ours(entry: &fs::DirEntry) -> bool {
    let path = entry.path();
    entry.file_name().to_str().is_some_and(is_render_file_name)
        && entry.file_type().is_ok_and(|t| t.is_file())
        && fs::read_to_string(&path).is_ok_and(|text| text.contains(MARKER))
}

/// Replaces the file at `path` with what `fill` writes into a temporary file beside it (which it
/// may also give permissions), by a rename: a reader, or a crash, sees the old file or all of the
/// new one. The temporary file is removed on any error.
pub fn replace_file(path: &Path, fill: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).tempfile_in(dir)?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn check_replaceable(dir: &Path) -> Result<(), OutputError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(OutputError::Io { path: dir.to_owned(), error: source });
        }
    };
    for entry in entries {
        let entry = entry.map_err(io_at(dir))?;
        if !is_ours(&entry) {
            return Err(OutputError::Foreign {
                dir: dir.to_owned(),
                file: entry.file_name().to_string_lossy().into_owned(),
            });
        }
    }
    Ok(())
}

/// A directory kpreview will not replace is the output's state, not the spec's: fix the directory.
impl crate::fault::HasFault for OutputError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Environment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(name: &str) -> (String, String) {
        (name.to_owned(), format!("metadata:\n  labels:\n    {MARKER}\n"))
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn files_are_replaced_whole_or_not_at_all() {
        use std::io::Write;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("comment.md");
        fs::write(&path, "old").unwrap();
        replace_file(&path, |f| f.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let failed = replace_file(&path, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "new", "a failed write leaves the file as it was");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no temporary file is left");
    }

    #[test]
    fn replaces_an_earlier_render() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        replace_dir(&dir, &[ours("000-namespace-a.yaml"), ours("001-service-b.yaml")]).unwrap();
        replace_dir(&dir, &[ours("000-namespace-c.yaml")]).unwrap();
        assert_eq!(names(&dir), ["000-namespace-c.yaml"]);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no staging directories left");
    }

    #[test]
    fn the_two_rename_fallback_replaces_too() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, staging) = (tmp.path().join("out"), tmp.path().join("new"));
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("old.yaml"), "old").unwrap();
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("new.yaml"), "new").unwrap();
        move_aside_and_in(&staging, &dir, tmp.path()).unwrap();
        assert_eq!(names(&dir), ["new.yaml"]);
        assert_eq!(names(tmp.path()), ["out"], "the old render went with its temporary directory");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn directories_swap_in_one_step() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("from-a"), "").unwrap();
        fs::write(b.join("from-b"), "").unwrap();
        if exchange(&a, &b).unwrap() {
            assert_eq!(names(&a), ["from-b"]);
            assert_eq!(names(&b), ["from-a"]);
        }
    }

    #[test]
    fn never_replaces_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = replace_dir(tmp.path(), &[ours("000-namespace-a.yaml")]).unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert_eq!(fs::read_to_string(tmp.path().join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn a_hand_written_file_with_the_label_is_not_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        replace_dir(&dir, &[ours("000-namespace-a.yaml")]).unwrap();
        let (name, text) = ours("kustomization.yaml");
        fs::write(dir.join(&name), &text).unwrap();
        let err = replace_dir(&dir, &[ours("000-namespace-b.yaml")]).unwrap_err();
        assert!(err.to_string().contains("kustomization.yaml"), "{err}");
        assert_eq!(fs::read_to_string(dir.join(name)).unwrap(), text);
        assert_eq!(names(&dir), ["000-namespace-a.yaml", "kustomization.yaml"]);
    }

    #[test]
    fn render_file_names() {
        assert!(is_render_file_name("000-namespace-shop-pr-123.yaml"));
        assert!(is_render_file_name("1234-volumesnapshotcontent-velero-x.y.yaml"));
        for name in [
            "kustomization.yaml",
            "00-namespace-a.yaml",
            "000-Namespace-a.yaml",
            "000-namespace-.yaml",
            "000-namespace-a.yml",
        ] {
            assert!(!is_render_file_name(name), "{name}");
        }
    }
}
