//! A file system in memory, for tests and fuzzing: absolute paths, regular files, directories
//! (also implied by the files under them), devices and symbolic links, and a record of what was
//! looked at.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{Files, Kind};

#[derive(Debug, Clone)]
enum Node {
    File(String),
    Dir,
    Device,
    Link(PathBuf),
}

/// Files in memory; built with [`Memory::file`], [`Memory::dir`], [`Memory::device`] and
/// [`Memory::link`].
#[derive(Debug, Default)]
pub struct Memory {
    nodes: BTreeMap<PathBuf, Node>,
    looked_at: RefCell<Vec<PathBuf>>,
    opened: RefCell<Vec<PathBuf>>,
}

/// Links followed at most, as Linux's `ELOOP`.
const MAX_HOPS: usize = 40;

impl Memory {
    /// Nothing at all (but `/`).
    pub fn new() -> Self {
        Self::default()
    }

    /// With a regular file at `path`.
    #[must_use]
    pub fn file(self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.with(path, Node::File(text.into()))
    }

    /// With an empty directory at `path`.
    #[must_use]
    pub fn dir(self, path: impl Into<PathBuf>) -> Self {
        self.with(path, Node::Dir)
    }

    /// With a device (what `/dev/zero` is) at `path`.
    #[must_use]
    pub fn device(self, path: impl Into<PathBuf>) -> Self {
        self.with(path, Node::Device)
    }

    /// With a symbolic link at `path` to `target` (absolute, or relative to the link's directory).
    #[must_use]
    pub fn link(self, path: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Self {
        self.with(path, Node::Link(target.into()))
    }

    fn with(mut self, path: impl Into<PathBuf>, node: Node) -> Self {
        self.nodes.insert(path.into(), node);
        self
    }

    /// Every path asked about or opened, in order, each once.
    pub fn looked_at(&self) -> Vec<PathBuf> {
        self.looked_at.borrow().clone()
    }

    /// Every path opened, in order.
    pub fn opened(&self) -> Vec<PathBuf> {
        self.opened.borrow().clone()
    }

    fn look(&self, path: &Path) {
        let mut seen = self.looked_at.borrow_mut();
        if !seen.iter().any(|p| p == path) {
            seen.push(path.to_owned());
        }
    }

    /// `path` with its links resolved (the last one only when `follow`), and `.`/`..` applied.
    fn resolve(&self, path: &Path, follow: bool) -> io::Result<PathBuf> {
        let mut pending: VecDeque<OsString> = parts(path).collect();
        let mut out = PathBuf::from("/");
        let mut hops = 0;
        while let Some(part) = pending.pop_front() {
            if part == ".." {
                out.pop();
                continue;
            }
            let next = out.join(&part);
            match self.nodes.get(&next) {
                Some(Node::Link(target)) if follow || !pending.is_empty() => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    if target.is_absolute() {
                        out = PathBuf::from("/");
                    }
                    for part in parts(target).collect::<Vec<_>>().into_iter().rev() {
                        pending.push_front(part);
                    }
                }
                _ => out = next,
            }
        }
        Ok(out)
    }

    fn node(&self, path: &Path) -> Option<Node> {
        if let Some(node) = self.nodes.get(path) {
            return Some(node.clone());
        }
        let implied = path == Path::new("/") || self.nodes.keys().any(|k| k.starts_with(path) && k != path);
        implied.then_some(Node::Dir)
    }
}

fn parts(path: &Path) -> impl Iterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(name.to_owned()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

impl Files for Memory {
    fn kind(&self, path: &Path, follow: bool) -> io::Result<Option<Kind>> {
        self.look(path);
        Ok(self.node(&self.resolve(path, follow)?).map(|node| match node {
            Node::File(_) => Kind::File,
            Node::Dir => Kind::Dir,
            Node::Device => Kind::Other,
            Node::Link(_) => Kind::Link,
        }))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let resolved = self.resolve(path, true)?;
        match self.node(&resolved) {
            Some(_) => Ok(resolved),
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }

    fn open(&self, path: &Path) -> io::Result<Option<Box<dyn io::Read + '_>>> {
        self.look(path);
        self.opened.borrow_mut().push(path.to_owned());
        match self.node(&self.resolve(path, true)?) {
            Some(Node::File(text)) => Ok(Some(Box::new(io::Cursor::new(text.into_bytes())))),
            Some(_) => Ok(None),
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_as_on_disk() {
        let files = Memory::new()
            .file("/pkg/spec/preview.lock", "lock")
            .link("/pkg/up", "..")
            .link("/pkg/lock", "spec/preview.lock")
            .link("/pkg/loop", "/pkg/loop")
            .link("/pkg/dangling", "/nowhere");
        let canonical = |p: &str| files.canonicalize(Path::new(p)).ok();
        assert_eq!(canonical("/pkg/lock"), Some(PathBuf::from("/pkg/spec/preview.lock")));
        assert_eq!(canonical("/pkg/up/pkg/spec/../lock"), Some(PathBuf::from("/pkg/spec/preview.lock")));
        assert_eq!(canonical("/pkg/loop"), None);
        assert_eq!(canonical("/pkg/dangling"), None);
        assert_eq!(files.kind(Path::new("/pkg/dangling"), false).expect("kind"), Some(Kind::Link));
        assert_eq!(files.kind(Path::new("/pkg/dangling"), true).expect("kind"), None);
        assert_eq!(files.kind(Path::new("/pkg/spec"), true).expect("kind"), Some(Kind::Dir));
    }
}
