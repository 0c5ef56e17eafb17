//! The `previews/` directory of one commit, read as trees (one `ls-tree` for the directory, one
//! `cat-file --batch` for any number of metadata files) and changed by whole preview directories,
//! so a change can be re-applied on any newer commit without rendering again. A directory is a
//! live preview (`preview.json`), a removed one (`removed.json`, manifests kept for Argo CD's
//! deletion) or something kpreview leaves alone.

use std::collections::{BTreeMap, BTreeSet};

use super::checkout::Reach;
use super::error::GitOpsError;
use super::meta::{self, PreviewMeta, Tombstone};
use super::repo::{Entry, Object, Oid, Repo};

/// The directory every preview lives under.
pub const PREVIEWS: &str = "previews";
/// The subdirectory of a preview that Argo CD applies.
pub const MANIFESTS: &str = "manifests";

/// A change to one preview directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `previews/<namespace>` becomes this tree.
    Put {
        /// The directory name.
        namespace: String,
        /// Its new content.
        tree: Oid,
    },
    /// `previews/<namespace>` goes.
    Remove {
        /// The directory name.
        namespace: String,
    },
}

/// The previews of one commit (or of none, before the first).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The commit read.
    pub commit: Option<Oid>,
    root: Vec<Entry>,
    /// Every entry of `previews/` by name.
    pub previews: BTreeMap<String, Entry>,
}

impl Snapshot {
    /// Reads `previews/` of `commit`.
    pub fn read(repo: &Repo, commit: Option<&Oid>) -> Result<Self, GitOpsError> {
        let root = match commit {
            Some(commit) => repo.ls_tree(commit)?,
            None => Vec::new(),
        };
        let previews = match root.iter().find(|e| e.name == PREVIEWS) {
            Some(e) if e.kind == "tree" => repo.ls_tree(&e.oid)?.into_iter().map(|e| (e.name.clone(), e)).collect(),
            Some(_) => return Err(GitOpsError::PreviewsNotADirectory { dir: repo.dir().to_owned() }),
            None => BTreeMap::new(),
        };
        Ok(Self { commit: commit.cloned(), root, previews })
    }

    /// What each named directory holds, read with one git call for all of them. An entry that is
    /// not a directory is [`Status::Unreadable`], so every command can name it.
    pub fn dirs<'a>(
        &self,
        repo: &Repo,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, Dir>, GitOpsError> {
        let (dirs, others): (Vec<&Entry>, Vec<&Entry>) =
            names.into_iter().filter_map(|n| self.previews.get(n)).partition(|e| e.kind == "tree");
        let specs: Vec<String> = dirs
            .iter()
            .flat_map(|e| [meta::FILE_NAME, meta::REMOVED_FILE_NAME, MANIFESTS].map(|f| format!("{}:{f}", e.oid)))
            .collect();
        let mut objects = repo.read_objects(&specs)?.into_iter();
        let mut out: BTreeMap<String, Dir> = others
            .into_iter()
            .map(|e| {
                let what = if e.kind == "commit" { "submodule" } else { "file" };
                let status = Status::Unreadable(format!("it is a {what}, not a directory"));
                (e.name.clone(), Dir { status, manifests: None })
            })
            .collect();
        for entry in dirs {
            let (live, removed, manifests) =
                (objects.next().flatten(), objects.next().flatten(), objects.next().flatten());
            let blob = |o: Option<Object>| o.filter(|o| o.kind == "blob").map(|o| o.data);
            let status = match (blob(live), blob(removed)) {
                (Some(bytes), _) => match PreviewMeta::from_json(&bytes) {
                    Ok(m) if m.namespace == entry.name => Status::Live(m),
                    Ok(m) => Status::Unreadable(format!(
                        "{} names namespace `{}`, not its directory's",
                        meta::FILE_NAME,
                        m.namespace
                    )),
                    Err(e) => Status::Unreadable(format!("{}: {e}", meta::FILE_NAME)),
                },
                (None, Some(bytes)) => Tombstone::from_json(&bytes)
                    .map_or_else(|e| Status::Unreadable(format!("{}: {e}", meta::REMOVED_FILE_NAME)), Status::Removed),
                (None, None) => Status::Unreadable(format!(
                    "it holds neither {} nor {}, so kpreview did not write it",
                    meta::FILE_NAME,
                    meta::REMOVED_FILE_NAME
                )),
            };
            let manifests = manifests.filter(|o| o.kind == "tree").map(|o| o.oid);
            out.insert(entry.name.clone(), Dir { status, manifests });
        }
        Ok(out)
    }

    /// What every directory under `previews/` holds.
    pub fn all_dirs(&self, repo: &Repo) -> Result<BTreeMap<String, Dir>, GitOpsError> {
        self.dirs(repo, self.previews.keys().map(String::as_str))
    }

    /// The root tree after `changes`; `None` when they change nothing (so no empty commit is
    /// ever made).
    pub fn apply(&self, repo: &Repo, changes: &[Change]) -> Result<Option<Applied>, GitOpsError> {
        let mut previews = self.previews.clone();
        for change in changes {
            match change {
                Change::Put { namespace, tree } => {
                    previews.insert(namespace.clone(), Entry::tree(namespace, tree.clone()));
                }
                Change::Remove { namespace } => {
                    previews.remove(namespace);
                }
            }
        }
        if previews == self.previews {
            return Ok(None);
        }
        let mut root: Vec<Entry> = self.root.iter().filter(|e| e.name != PREVIEWS).cloned().collect();
        if !previews.is_empty() {
            let entries: Vec<Entry> = previews.values().cloned().collect();
            root.push(Entry::tree(PREVIEWS, repo.mktree(&entries)?));
        }
        Ok(Some(Applied { tree: repo.mktree(&root)?, previews }))
    }
}

/// What a directory under `previews/` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A published preview.
    Live(PreviewMeta),
    /// A removed one whose manifests wait to be purged.
    Removed(Tombstone),
    /// Something kpreview cannot read, and why; it is left alone.
    Unreadable(String),
}

/// One directory under `previews/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    /// What it holds.
    pub status: Status,
    /// Its `manifests/` tree.
    pub manifests: Option<Oid>,
}

/// Retires previews: each directory keeps its manifests and trades `preview.json` for the
/// tombstone, all written with three git calls however many there are.
pub fn retire(repo: &Repo, retirees: &[(Tombstone, Option<Oid>)]) -> Result<Vec<Change>, GitOpsError> {
    let texts: Vec<String> = retirees.iter().map(|(t, _)| t.to_json()).collect();
    let blobs = repo.write_blobs(&texts.iter().map(String::as_str).collect::<Vec<_>>())?;
    let trees: Vec<Vec<Entry>> = retirees
        .iter()
        .zip(blobs)
        .map(|((_, manifests), blob)| {
            let mut entries = vec![Entry::file(meta::REMOVED_FILE_NAME, blob)];
            entries.extend(manifests.iter().map(|m| Entry::tree(MANIFESTS, m.clone())));
            entries
        })
        .collect();
    let oids = repo.mktree_batch(&trees)?;
    Ok(retirees
        .iter()
        .zip(oids)
        .map(|((t, _), tree)| Change::Put { namespace: t.meta.namespace.clone(), tree })
        .collect())
}

/// A changed root tree.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The new root tree.
    pub tree: Oid,
    /// The entries of its `previews/`.
    pub previews: BTreeMap<String, Entry>,
}

/// What a move of the checkout from `from` to a commit touches, where that commit is `base` (the
/// same commit as `from`, or another) with `previews/` listing `previews`.
pub fn reach(from: &Snapshot, base: &Snapshot, previews: &BTreeMap<String, Entry>) -> Reach {
    let (ours, theirs) = (from.root.iter(), base.root.iter());
    let outside = !ours.filter(|e| e.name != PREVIEWS).eq(theirs.filter(|e| e.name != PREVIEWS));
    Reach { previews: differing(&from.previews, previews), outside }
}

/// Names of the preview directories that differ between two listings of `previews/`.
pub fn differing(a: &BTreeMap<String, Entry>, b: &BTreeMap<String, Entry>) -> BTreeSet<String> {
    a.keys().chain(b.keys()).filter(|n| a.get(*n) != b.get(*n)).cloned().collect()
}
