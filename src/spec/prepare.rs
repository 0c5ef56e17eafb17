//! The whole spec pipeline in one call: load → defaults → validate.

use super::defaults::{self, PrInputs};
use super::load::load;
use super::lockfile::Lock;
use super::model::Model;
use super::problem::Problems;
use super::validate::validate;

/// Turns spec text into a validated [`Model`], or every problem found in it (unknown fields,
/// invalid values and warnings together). `file` names the spec in messages.
pub fn prepare(text: &str, file: &str, pr: &PrInputs, lock: Option<&Lock>) -> Result<Model, Problems> {
    let loaded = load(text, file)?;
    let defaulted = defaults::apply(loaded.preview, pr);
    let mut problems = loaded.problems;
    match validate(&defaulted, lock) {
        Ok(model) if problems.is_empty() => Ok(model),
        Ok(model) => {
            problems.extend(model.warnings);
            Err(Problems::new(file, problems))
        }
        Err(found) => {
            problems.extend(found);
            Err(Problems::new(file, problems))
        }
    }
}
