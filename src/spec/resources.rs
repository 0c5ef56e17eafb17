//! Container resources and volume sizes: the spec's requests and limits over kpreview's small
//! defaults, each a valid quantity within kpreview's bounds, and limits no lower than requests.
//!
//! The bounds keep a preview a preview (the ResourceQuota is sized from what the spec asks, so
//! without them the spec would set its own cost limit) and keep every sum the quota makes far
//! below what a Kubernetes quantity can hold.

use super::check::parse_quantity;
use super::model::Resources;
use super::types::ResourcesSpec;
use super::validate::Ctx;

/// A bound on a quantity: its value in base units and as written.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// In cores or bytes.
    pub value: f64,
    /// As a Kubernetes quantity.
    pub text: &'static str,
}

/// The most CPU a container may request or be limited to.
pub const MAX_CPU: Bound = Bound { value: 8.0, text: "8" };
/// The most memory a container may request or be limited to.
pub const MAX_MEMORY: Bound = Bound { value: 32.0 * 1024.0 * 1024.0 * 1024.0, text: "32Gi" };
/// The largest data store volume.
pub const MAX_STORAGE: Bound = Bound { value: 2.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, text: "2Ti" };

/// Parses the quantity `text` at `path` and checks it against `max`, recording what is wrong.
pub(crate) fn bounded(ctx: &mut Ctx<'_>, path: &str, text: &str, max: Bound) -> Option<f64> {
    match parse_quantity(text) {
        Ok(value) if value <= max.value => Some(value),
        Ok(_) => {
            ctx.problems.error(path, format!("`{text}` is more than a preview may use; at most {}", max.text));
            None
        }
        Err(e) => {
            ctx.problems.error(path, e);
            None
        }
    }
}

/// Validates `written` at `path` (such as `spec.services.api.resources`) over `defaults`
/// (cpu request, memory request, memory limit).
pub(crate) fn resources(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: Option<&ResourcesSpec>,
    defaults: (&str, &str, &str),
) -> Resources {
    let requests = written.and_then(|r| r.requests.clone()).unwrap_or_default();
    let limits = written.and_then(|r| r.limits.clone()).unwrap_or_default();
    let out = Resources {
        cpu_request: requests.cpu.unwrap_or_else(|| defaults.0.to_owned()),
        memory_request: requests.memory.unwrap_or_else(|| defaults.1.to_owned()),
        cpu_limit: limits.cpu,
        memory_limit: limits.memory.unwrap_or_else(|| defaults.2.to_owned()),
    };
    let cpu_request = bounded(ctx, &format!("{path}.requests.cpu"), &out.cpu_request, MAX_CPU);
    let memory_request = bounded(ctx, &format!("{path}.requests.memory"), &out.memory_request, MAX_MEMORY);
    let cpu_limit = out.cpu_limit.as_deref().and_then(|c| bounded(ctx, &format!("{path}.limits.cpu"), c, MAX_CPU));
    let memory_limit = bounded(ctx, &format!("{path}.limits.memory"), &out.memory_limit, MAX_MEMORY);
    if let (Some(request), Some(limit)) = (memory_request, memory_limit)
        && limit < request
    {
        ctx.problems.error(
            format!("{path}.limits.memory"),
            format!("the memory limit {} is lower than the request {}", out.memory_limit, out.memory_request),
        );
    }
    if let (Some(request), Some(limit)) = (cpu_request, cpu_limit)
        && limit < request
    {
        ctx.problems.error(
            format!("{path}.limits.cpu"),
            format!(
                "the CPU limit {} is lower than the request {}",
                out.cpu_limit.clone().unwrap_or_default(),
                out.cpu_request
            ),
        );
    }
    out
}
