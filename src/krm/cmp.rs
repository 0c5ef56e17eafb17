//! The Argo CD Config Management Plugin (`kpreview cmp`): which spec it may read in the
//! Application's source directory, and whether the render belongs in the Application's
//! destination. The binary reads the environment, renders and prints.

use std::path::{Component, Path, PathBuf};

use crate::fault::{Fault, HasFault};
use crate::files::Files;
use crate::spec::model::Model;

/// Why the plugin refuses to render.
#[derive(Debug, thiserror::Error)]
pub enum CmpError {
    /// The spec's path leaves the source directory.
    #[error(
        "ARGOCD_ENV_PREVIEW_SPEC (or --spec) is `{}`: {why}; give a relative path inside the Application's \
         source directory, such as `preview.yaml` or `deploy/preview.yaml`",
        .path.display()
    )]
    SpecPath {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// `ARGOCD_APP_NAMESPACE` is empty.
    #[error(
        "{spec}: the Application has no destination namespace (ARGOCD_APP_NAMESPACE is empty); a preview renders \
         into `{namespace}`, so set `spec.destination.namespace` in the platform's ApplicationSet to it"
    )]
    NoDestination {
        /// The spec, as messages name it.
        spec: String,
        /// The preview's namespace.
        namespace: String,
    },
    /// The preview renders into another namespace than the Application's.
    #[error(
        "{spec}: the preview's namespace is `{namespace}` (app `{app}`, pull request {pr}), but this Application \
         deploys to `{destination}` (ARGOCD_APP_NAMESPACE); refusing to render a preview into a namespace that is \
         not its Application's: check metadata.name and the ApplicationSet's destination"
    )]
    OtherDestination {
        /// The spec, as messages name it.
        spec: String,
        /// The preview's namespace.
        namespace: String,
        /// Its app.
        app: String,
        /// Its pull request.
        pr: u64,
        /// The Application's destination.
        destination: String,
    },
}

impl HasFault for CmpError {
    fn fault(&self) -> Fault {
        Fault::Input
    }
}

/// The spec's path when it stays inside the Application's source directory `source`: an
/// Application's author sets `ARGOCD_ENV_PREVIEW_SPEC`, and the sidecar must not read and parse
/// whatever else it can see (other requests' working copies share its `/tmp`). Lexically first
/// (no absolute path, no `..`), then after symlinks, for a file that exists.
pub fn spec_path(files: &dyn Files, source: &Path, path: &Path) -> Result<PathBuf, CmpError> {
    let refuse = |why: String| CmpError::SpecPath { path: path.to_owned(), why };
    if path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(refuse("absolute paths and `..` are refused".to_owned()));
    }
    if let (Ok(root), Ok(file)) = (files.canonicalize(source), files.canonicalize(&source.join(path)))
        && !file.starts_with(&root)
    {
        return Err(refuse(format!("it resolves to {} through a symbolic link", file.display())));
    }
    Ok(path.to_owned())
}

/// The rendered namespace must be the Application's `destination` (`ARGOCD_APP_NAMESPACE`, which
/// Argo CD sets for every plugin run from the Application the platform's ApplicationSet made): a
/// spec, a branch name or a metadata.name of another app must not point Argo CD at a namespace
/// it would adopt and later delete. Outside Argo CD (the variable unset) there is nothing to
/// compare with: the warning to print says so.
pub fn check_destination(model: &Model, spec: &str, destination: Option<&str>) -> Result<Option<String>, CmpError> {
    match destination {
        Some(destination) if destination == model.namespace => Ok(None),
        Some("") => Err(CmpError::NoDestination { spec: spec.to_owned(), namespace: model.namespace.clone() }),
        Some(destination) => Err(CmpError::OtherDestination {
            spec: spec.to_owned(),
            namespace: model.namespace.clone(),
            app: model.app.clone(),
            pr: model.pr.number,
            destination: destination.to_owned(),
        }),
        None => Ok(Some(format!(
            "{spec}: ARGOCD_APP_NAMESPACE is not set (Argo CD sets it to the Application's destination), so \
             namespace `{}` was not checked against it",
            model.namespace
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::Memory;

    #[test]
    fn the_spec_stays_in_the_source_directory() {
        let files = Memory::new()
            .file("/src/app/preview.yaml", "")
            .link("/src/app/escape.yaml", "/tmp/other/preview.yaml")
            .file("/tmp/other/preview.yaml", "");
        let source = Path::new("/src/app");
        assert_eq!(spec_path(&files, source, Path::new("./preview.yaml")).ok(), Some(PathBuf::from("./preview.yaml")));
        for path in ["/etc/passwd", "../other/preview.yaml", "deploy/../../x.yaml"] {
            let error = spec_path(&files, source, Path::new(path)).expect_err(path);
            assert!(error.to_string().contains("absolute paths and `..` are refused"), "{error}");
        }
        let error = spec_path(&files, source, Path::new("escape.yaml")).expect_err("a link out");
        assert!(
            error.to_string().contains("it resolves to /tmp/other/preview.yaml through a symbolic link"),
            "{error}"
        );
        assert!(files.opened().is_empty(), "nothing is read to decide");
    }
}
