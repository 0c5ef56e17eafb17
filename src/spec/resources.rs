//! Container resources: the spec's requests and limits over kpreview's small defaults, each a
//! valid quantity, and limits no lower than requests.

use super::check::parse_quantity;
use super::model::Resources;
use super::types::ResourcesSpec;
use super::validate::Ctx;

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
    let mut value = |field: &str, text: &str| match parse_quantity(text) {
        Ok(v) => Some(v),
        Err(e) => {
            ctx.problems.error(format!("{path}.{field}"), e);
            None
        }
    };
    let cpu_request = value("requests.cpu", &out.cpu_request);
    let memory_request = value("requests.memory", &out.memory_request);
    let cpu_limit = out.cpu_limit.as_deref().and_then(|c| value("limits.cpu", c));
    let memory_limit = value("limits.memory", &out.memory_limit);
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
