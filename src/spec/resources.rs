//! Container resources and volume sizes: the spec's requests and limits over kpreview's small
//! defaults, each a valid quantity within kpreview's bounds, and limits no lower than requests.
//!
//! The bounds keep a preview a preview (the ResourceQuota is sized from what the spec asks, so
//! without them the spec would set its own cost limit) and keep every sum the quota makes far
//! below what a Kubernetes quantity can hold.

use super::defaults;
use super::model::Resources;
use super::types::ResourcesSpec;
use super::validate::Ctx;
use crate::k8s::{Measure, Quantity};

/// A bound on a quantity: its value in base units and as written.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// In cores or bytes.
    pub value: f64,
    /// As a Kubernetes quantity.
    pub text: &'static str,
    /// What it measures.
    pub measure: Measure,
}

/// The most CPU a container may request or be limited to.
pub const MAX_CPU: Bound = Bound { value: 8.0, text: "8", measure: Measure::Cpu };
/// The most memory a container may request or be limited to.
pub const MAX_MEMORY: Bound = Bound { value: 32.0 * 1024.0 * 1024.0 * 1024.0, text: "32Gi", measure: Measure::Bytes };
/// The largest data store volume.
pub const MAX_STORAGE: Bound =
    Bound { value: 2.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, text: "2Ti", measure: Measure::Bytes };

/// Parses the quantity `text` at `path` and checks it against `max`, recording what is wrong.
pub(crate) fn bounded(ctx: &mut Ctx<'_>, path: &str, text: &str, max: Bound) -> Option<Quantity> {
    match Quantity::parse_as(text, max.measure) {
        Ok(quantity) if quantity.value() <= max.value => Some(quantity),
        Ok(_) => {
            ctx.problems.error(path, format!("`{text}` is more than a preview may use; at most {}", max.text));
            None
        }
        Err(e) => {
            ctx.problems.error(path, e.to_string());
            None
        }
    }
}

/// Validates `written` at `path` (such as `spec.services.api.resources`) over `defaults`
/// (cpu request, memory request, memory limit). A refused value is recorded, and the default
/// stands in for it in what is returned.
pub(crate) fn resources(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: Option<&ResourcesSpec>,
    defaults: (&str, &str, &str),
) -> Resources {
    let requests = written.and_then(|r| r.requests.clone()).unwrap_or_default();
    let limits = written.and_then(|r| r.limits.clone()).unwrap_or_default();
    let fallback = defaults::resources(defaults);
    let mut field = |field: &str, text: Option<&String>, max: Bound, default: &Quantity| match text {
        Some(text) => bounded(ctx, &format!("{path}.{field}"), text, max),
        None => Some(default.clone()),
    };
    let cpu_request = field("requests.cpu", requests.cpu.as_ref(), MAX_CPU, &fallback.cpu_request);
    let memory_request = field("requests.memory", requests.memory.as_ref(), MAX_MEMORY, &fallback.memory_request);
    let cpu_limit = limits.cpu.as_ref().map(|c| field("limits.cpu", Some(c), MAX_CPU, &fallback.cpu_request));
    let memory_limit = field("limits.memory", limits.memory.as_ref(), MAX_MEMORY, &fallback.memory_limit);
    if let (Some(request), Some(limit)) = (&memory_request, &memory_limit)
        && limit < request
    {
        ctx.problems.error(
            format!("{path}.limits.memory"),
            format!("the memory limit {limit} is lower than the request {request}"),
        );
    }
    if let (Some(request), Some(Some(limit))) = (&cpu_request, &cpu_limit)
        && limit < request
    {
        ctx.problems
            .error(format!("{path}.limits.cpu"), format!("the CPU limit {limit} is lower than the request {request}"));
    }
    Resources {
        cpu_limit: cpu_limit.map(|limit| limit.unwrap_or_else(|| fallback.cpu_request.clone())),
        cpu_request: cpu_request.unwrap_or(fallback.cpu_request),
        memory_request: memory_request.unwrap_or(fallback.memory_request),
        memory_limit: memory_limit.unwrap_or(fallback.memory_limit),
    }
}
