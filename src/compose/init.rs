//! The entry points: a spec from a compose file, or the starter spec; either is checked the
//! way `kpreview validate` checks a spec before it is handed back.

use super::error::InitError;
use super::{minimal, translate};
use crate::spec::defaults::Inputs;
use crate::spec::prepare::prepare;
use crate::yaml::{Limits, value_from_str};

/// How `init` names things.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `metadata.name`; else the compose file's `name:`, else `directory`, else `app`.
    pub name: Option<String>,
    /// The name of the directory the compose file is in (Compose's default project name).
    pub directory: Option<String>,
    /// Profiles whose services are included (others with a `profiles:` are skipped).
    pub profiles: Vec<String>,
    /// The file the spec is written to, for the commands its header suggests (`preview.yaml`).
    pub output: Option<String>,
}

impl Options {
    /// The spec's file name as the header's commands write it.
    pub(super) fn output(&self) -> &str {
        self.output.as_deref().unwrap_or("preview.yaml")
    }
}

/// A spec `init` made.
#[derive(Debug, Clone)]
pub struct Init {
    /// The commented spec.
    pub text: String,
    /// What has no equivalent or changed, one line each (`services.web: ...`); also comments.
    pub notes: Vec<String>,
}

/// The spec for compose file `text`, named `file` in messages.
pub fn from_compose(text: &str, file: &str, options: &Options) -> Result<Init, InitError> {
    let compose =
        value_from_str(text, Limits::Spec).map_err(|reason| InitError::Read { file: file.to_owned(), reason })?;
    let init = translate::translate(&compose, file, options)?;
    check(&init.text, file)?;
    Ok(init)
}

/// The starter spec, for application `name` (default `app`).
pub fn starter(options: &Options) -> Result<Init, InitError> {
    let app = options.name.clone().or_else(|| options.directory.clone()).unwrap_or_else(|| "app".to_owned());
    let app = crate::k8s::naming::fit(&super::names::label(&app), 40).trim_end_matches('-').to_owned();
    let text = minimal::text(&app, options.output());
    check(&text, "nothing")?;
    Ok(Init { text, notes: Vec::new() })
}

/// Validates `text` as `kpreview validate` does, with placeholders for the pull request.
fn check(text: &str, file: &str) -> Result<(), InitError> {
    let mut inputs = Inputs::default();
    let missing = inputs.missing(None);
    inputs.fill(&missing);
    prepare(text, "preview.yaml", &inputs, None)
        .map(|_| ())
        .map_err(|problems| InitError::Invalid { file: file.to_owned(), problems })
}
