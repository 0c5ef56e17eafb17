//! The spec pipeline under a policy: load → impose the platform's values → defaults → validate →
//! check against the policy. What every way in (render, validate, plan, fn, the kustomize
//! plugin, cmp, publish) calls.

use super::check::check;
use super::impose::impose;
use super::model::Policy;
use crate::spec::defaults::Inputs;
use crate::spec::load::{Loaded, load};
use crate::spec::lockfile::Lock;
use crate::spec::model::{Ceiling, Model};
use crate::spec::prepare::prepare_loaded as prepare_spec;
use crate::spec::problem::Problems;

/// Turns spec text into a validated [`Model`] that stays within `policy`, or every problem.
pub fn prepare(
    text: &str,
    file: &str,
    inputs: &Inputs,
    lock: Option<&Lock>,
    policy: &Policy,
) -> Result<Model, Problems> {
    prepare_loaded(load(text, file)?, file, inputs, lock, policy)
}

/// [`prepare`] under the built-in policy ([`super::builtin`]): what a library caller without a
/// platform policy gets (`kpreview::prepare`).
pub fn with_builtin_policy(text: &str, file: &str, inputs: &Inputs, lock: Option<&Lock>) -> Result<Model, Problems> {
    prepare(text, file, inputs, lock, &Policy::default())
}

/// [`prepare`] for a spec already loaded.
pub fn prepare_loaded(
    mut loaded: Loaded,
    file: &str,
    inputs: &Inputs,
    lock: Option<&Lock>,
    policy: &Policy,
) -> Result<Model, Problems> {
    let imposed = impose(&mut loaded.preview, policy);
    // The spec is validated with the policy's values in place, so a refused field does not hide
    // the rest of the report, and the policy's own checks run whenever there is a model.
    let mut model = match prepare_spec(loaded, file, inputs, lock) {
        Ok(model) => model,
        Err(found) if imposed.is_empty() => return Err(found),
        Err(found) => return Err(Problems::new(file, imposed.into_iter().chain(found.list).collect())),
    };
    let mut problems = imposed;
    problems.extend(check(&model, policy));
    if !problems.is_empty() {
        problems.append(&mut model.warnings);
        return Err(Problems::new(file, problems));
    }
    let limits = &policy.limits;
    model.ceiling =
        Some(Ceiling { cpu: limits.cpu.clone(), memory: limits.memory.clone(), storage: limits.storage.clone() });
    Ok(model)
}
