//! Reading what kpreview is given, bounded. [`read_at_most`] is the one read of untrusted bytes
//! (a file, stdin, a tool's output): it never holds more than the limit plus one byte.
//! [`Files`] is the file system the edge modes see (the lock beside a spec, the kustomize
//! plugin's kustomizations, the KRM function's package), injected so they are tested in memory
//! ([`Memory`]) and run on [`Disk`]. A leaf: it uses nothing of the crate but the YAML limits.

mod memory;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::fault::{Fault, HasFault};
use crate::yaml::{MAX_SPEC_BYTES, MAX_STREAM_BYTES};

pub use memory::Memory;

/// How much of something kpreview reads, and how a refusal names the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Most bytes read.
    pub bytes: usize,
    /// Whose limit it is, after "larger than the N bytes": `kpreview reads`, `a spec may have`.
    pub of: &'static str,
}

/// A spec given on the command line or to a plugin.
pub const SPEC: Limit = Limit { bytes: MAX_SPEC_BYTES, of: "a spec may have" };
/// A small file kpreview looks for itself: a lock, a policy, a kustomization, a compose file.
pub const SMALL: Limit = Limit { bytes: MAX_SPEC_BYTES, of: "kpreview reads" };
/// A `ResourceList` on stdin.
pub const STREAM: Limit = Limit { bytes: MAX_STREAM_BYTES, of: "a ResourceList may have" };
/// A package file the KRM function looks at (it may hold many documents).
pub const PACKAGE_FILE: Limit = Limit { bytes: MAX_STREAM_BYTES, of: "kpreview reads" };

/// Why something could not be read. The message names it; an I/O error is the environment's
/// fault, the rest are the input's.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The system refused (permissions, a vanished file, a broken pipe).
    #[error("cannot read {name}: {error}")]
    Io {
        /// What was read, as messages name it.
        name: String,
        /// Not a `source`: the message holds it whole.
        error: io::Error,
    },
    /// A device, a pipe or a directory where a file was expected; never opened.
    #[error("{name} is not a regular file")]
    NotRegular {
        /// The path, as messages name it.
        name: String,
    },
    /// More bytes than the limit; the rest was never read.
    #[error("{name} is larger than the {} bytes {}", limit.bytes, limit.of)]
    TooLarge {
        /// What was read.
        name: String,
        /// The limit it broke.
        limit: Limit,
    },
    /// Bytes that are not UTF-8.
    #[error("{name} is not UTF-8 text")]
    NotText {
        /// What was read.
        name: String,
    },
}

impl HasFault for ReadError {
    fn fault(&self) -> Fault {
        match self {
            Self::Io { .. } => Fault::Environment,
            Self::NotRegular { .. } | Self::TooLarge { .. } | Self::NotText { .. } => Fault::Input,
        }
    }
}

/// At most `max` bytes of `reader`, and whether there was more (of which one byte was read).
pub fn read_at_most(reader: impl Read, max: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut bytes)?;
    let more = bytes.len() > max;
    bytes.truncate(max);
    Ok((bytes, more))
}

/// All of `reader` as text, refused when it is larger than `limit` or not UTF-8; `name` is how
/// messages call it.
pub fn read_bounded(reader: impl Read, limit: Limit, name: &str) -> Result<String, ReadError> {
    let (bytes, more) = read_at_most(reader, limit.bytes).map_err(|error| io_error(name, error))?;
    if more {
        return Err(ReadError::TooLarge { name: name.to_owned(), limit });
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotText { name: name.to_owned() })
}

/// The file at `path`, which the user named (so it may be a pipe: `<(…)`, `/dev/stdin`), as text
/// within `limit`; a missing file is an error.
pub fn read_path(path: &Path, limit: Limit) -> Result<String, ReadError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| io_error(&name, error))?;
    read_bounded(file, limit, &name)
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only when links are not followed).
    Link,
    /// A device, a pipe, a socket.
    Other,
}

/// The file system as the edge modes read it. Paths are used as given (relative ones from the
/// process's working directory on [`Disk`]).
pub trait Files {
    /// What `path` is, following symbolic links when `follow`; `Ok(None)` when nothing is there
    /// (a dangling link, followed, is nothing).
    fn kind(&self, path: &Path, follow: bool) -> io::Result<Option<Kind>>;
    /// `path` absolute, every symbolic link and `..` resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// Opens the file at `path` for reading, `Ok(None)` when what was opened is not a regular
    /// file. Callers check [`Files::kind`] first, so a pipe is never opened (that would block).
    fn open(&self, path: &Path) -> io::Result<Option<Box<dyn Read + '_>>>;
}

/// The regular file at `path` as text within `limit`; `Ok(None)` when nothing is there. A
/// device, a pipe or a directory is refused before it is opened.
pub fn read_file(files: &dyn Files, path: &Path, limit: Limit) -> Result<Option<String>, ReadError> {
    let name = path.display().to_string();
    match files.kind(path, true).map_err(|error| io_error(&name, error))? {
        None => return Ok(None),
        Some(Kind::File) => {}
        Some(_) => return Err(ReadError::NotRegular { name }),
    }
    let reader = match files.open(path) {
        Ok(Some(reader)) => reader,
        Ok(None) => return Err(ReadError::NotRegular { name }),
        // Gone between the two looks: as if it had never been there.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(&name, error)),
    };
    read_bounded(reader, limit, &name).map(Some)
}

/// As [`read_file`], but a missing file is an error too: for a file the user named.
pub fn read_required(files: &dyn Files, path: &Path, limit: Limit) -> Result<String, ReadError> {
    if let Some(text) = read_file(files, path, limit)? {
        return Ok(text);
    }
    // What the system says about the missing file (`No such file or directory (os error 2)`).
    let error = files.open(path).err().unwrap_or_else(|| io::ErrorKind::NotFound.into());
    Err(io_error(&path.display().to_string(), error))
}

/// Whether `path` names a regular file, following links; an error counts as no.
pub fn is_file(files: &dyn Files, path: &Path) -> bool {
    matches!(files.kind(path, true), Ok(Some(Kind::File)))
}

/// Whether `path` names a directory, following links; an error counts as no.
pub fn is_dir(files: &dyn Files, path: &Path) -> bool {
    matches!(files.kind(path, true), Ok(Some(Kind::Dir)))
}

fn io_error(name: &str, error: io::Error) -> ReadError {
    ReadError::Io { name: name.to_owned(), error }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Files for Disk {
    fn kind(&self, path: &Path, follow: bool) -> io::Result<Option<Kind>> {
        let meta = if follow { std::fs::metadata(path) } else { std::fs::symlink_metadata(path) };
        match meta {
            Ok(meta) => Ok(Some(kind_of(&meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        path.canonicalize()
    }

    fn open(&self, path: &Path) -> io::Result<Option<Box<dyn Read + '_>>> {
        let file = std::fs::File::open(path)?;
        // Looked at again once open: the path may have been swapped for a device meanwhile.
        Ok(file.metadata()?.is_file().then(|| Box::new(file) as Box<dyn Read>))
    }
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    let kind = meta.file_type();
    if kind.is_file() {
        Kind::File
    } else if kind.is_dir() {
        Kind::Dir
    } else if kind.is_symlink() {
        Kind::Link
    } else {
        Kind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: Limit = Limit { bytes: 4, of: "kpreview reads" };

    #[test]
    fn reads_up_to_the_limit_and_refuses_one_byte_more() {
        assert_eq!(read_bounded(&b"abcd"[..], TINY, "x").expect("four bytes"), "abcd");
        let error = read_bounded(&b"abcde"[..], TINY, "x").expect_err("five bytes");
        assert_eq!(error.to_string(), "x is larger than the 4 bytes kpreview reads");
        assert_eq!(error.fault(), Fault::Input);
        let error = read_bounded(&[0xff, 0xfe][..], TINY, "x").expect_err("not UTF-8");
        assert_eq!(error.to_string(), "x is not UTF-8 text");
    }

    #[test]
    fn an_endless_reader_costs_the_limit() {
        let (bytes, more) = read_at_most(io::repeat(b'a'), 1000).expect("read");
        assert_eq!((bytes.len(), more), (1000, true));
        let error = read_bounded(io::repeat(0), SPEC, "<stdin>").expect_err("endless");
        assert_eq!(error.to_string(), format!("<stdin> is larger than the {MAX_SPEC_BYTES} bytes a spec may have"));
    }

    #[test]
    fn a_file_is_read_only_when_it_is_a_regular_file() {
        let files = Memory::new().file("/a/f", "text").dir("/a/d").device("/a/zero").link("/a/l", "/a/f");
        assert_eq!(read_file(&files, Path::new("/a/f"), TINY).expect("file").as_deref(), Some("text"));
        assert_eq!(read_file(&files, Path::new("/a/l"), TINY).expect("link").as_deref(), Some("text"));
        assert!(read_file(&files, Path::new("/a/none"), TINY).expect("nothing").is_none());
        for (path, message) in [("/a/d", "/a/d is not a regular file"), ("/a/zero", "/a/zero is not a regular file")] {
            let error = read_file(&files, Path::new(path), TINY).expect_err(path);
            assert_eq!(error.to_string(), message);
        }
        assert_eq!(files.opened(), [PathBuf::from("/a/f"), PathBuf::from("/a/l")], "a device is never opened");
    }

    #[test]
    fn disk_refuses_a_device_before_opening_it() {
        let error = read_file(&Disk, Path::new("/dev/zero"), SMALL).expect_err("a device");
        assert_eq!(error.to_string(), "/dev/zero is not a regular file");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'a'; MAX_SPEC_BYTES + 1]).expect("write");
        let error = read_file(&Disk, &path, SMALL).expect_err("too large");
        assert!(matches!(error, ReadError::TooLarge { .. }), "{error}");
        assert!(read_file(&Disk, &dir.path().join("none"), SMALL).expect("missing").is_none());
    }
}
