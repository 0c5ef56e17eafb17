//! Writing without ever leaving anything half-written: a render's files go to a new directory
//! beside the target, which then replaces it (a directory that holds anything kpreview did not
//! write is never replaced); a single file goes to a temporary file beside it, renamed into place.

use std::fs;
use std::io;
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
    #[error("cannot write {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_owned(), source }
}

/// The label every rendered object carries; a file without it is not ours.
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
        fs::write(&path, content).map_err(io_at(&path))?;
    }
    if dir.exists() {
        let old = tempfile::Builder::new().prefix(".kpreview-old-").tempdir_in(&parent).map_err(io_at(&parent))?;
        let old_path = old.path().join("render");
        fs::rename(dir, &old_path).map_err(io_at(dir))?;
        if let Err(source) = fs::rename(staging.path(), dir) {
            let _ = fs::rename(&old_path, dir);
            return Err(OutputError::Io { path: dir.to_owned(), source });
        }
        drop(old);
    } else {
        fs::rename(staging.path(), dir).map_err(io_at(dir))?;
    }
    Ok(())
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
            return Err(OutputError::Io { path: dir.to_owned(), source });
        }
    };
    for entry in entries {
        let entry = entry.map_err(io_at(dir))?;
        let path = entry.path();
        let ours = path.extension().is_some_and(|e| e == "yaml")
            && entry.file_type().is_ok_and(|t| t.is_file())
            && fs::read_to_string(&path).is_ok_and(|text| text.contains(MARKER));
        if !ours {
            return Err(OutputError::Foreign {
                dir: dir.to_owned(),
                file: entry.file_name().to_string_lossy().into_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(name: &str) -> (String, String) {
        (name.to_owned(), format!("metadata:\n  labels:\n    {MARKER}\n"))
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
        replace_dir(&dir, &[ours("a.yaml"), ours("b.yaml")]).unwrap();
        replace_dir(&dir, &[ours("c.yaml")]).unwrap();
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["c.yaml"]);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no staging directories left");
    }

    #[test]
    fn never_replaces_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = replace_dir(tmp.path(), &[ours("a.yaml")]).unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert_eq!(fs::read_to_string(tmp.path().join("notes.txt")).unwrap(), "mine");
    }
}
