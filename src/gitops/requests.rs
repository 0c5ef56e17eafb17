//! What a preview asks of the cluster, read off the objects it applies: the CPU, memory and
//! storage its pods and claims request and how many pods run, and the ResourceQuota's ceiling.
//! Read from objects rather than the spec, so an overlay's patches count. Hook Jobs (migrations,
//! restores) come and go and are left out. Pure.

use serde_json::Value;

use crate::k8s::Quantity;

/// Totals of a preview's steady state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requests {
    /// CPU requested, in cores.
    pub cpu: f64,
    /// Memory requested, in bytes.
    pub memory: f64,
    /// Storage claimed, in bytes.
    pub storage: f64,
    /// Pods running.
    pub pods: u64,
    /// The ResourceQuota's hard limits, as written: `requests.cpu`, `requests.memory`,
    /// `requests.storage`, `pods`, those it sets.
    pub quota: Vec<(String, String)>,
}

/// The totals of `objects`.
pub fn requests(objects: &[Value]) -> Requests {
    let mut r = Requests::default();
    for object in objects {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "Deployment" | "StatefulSet" => {
                let replicas = object.pointer("/spec/replicas").and_then(Value::as_u64).unwrap_or(1);
                let (cpu, memory) = pod(object.pointer("/spec/template/spec"));
                #[allow(clippy::cast_precision_loss)]
                let n = replicas as f64;
                r.cpu += cpu * n;
                r.memory += memory * n;
                r.pods += replicas;
                let claims = object.pointer("/spec/volumeClaimTemplates").and_then(Value::as_array);
                r.storage += claims.into_iter().flatten().map(|c| storage(c.get("spec"))).sum::<f64>() * n;
            }
            "PersistentVolumeClaim" => r.storage += storage(object.get("spec")),
            "ResourceQuota" => {
                if let Some(hard) = object.pointer("/spec/hard").and_then(Value::as_object) {
                    for key in ["requests.cpu", "requests.memory", "requests.storage", "pods"] {
                        if let Some(v) = hard.get(key).and_then(text) {
                            r.quota.push((key.to_owned(), v));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    r
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn quantity(v: Option<&Value>) -> f64 {
    v.and_then(text).and_then(|t| Quantity::parse(&t).ok()).map_or(0.0, |q| q.value())
}

/// A pod's CPU and memory requests: its containers' sum, or its largest init container's where
/// that is more (Kubernetes schedules on the larger).
fn pod(spec: Option<&Value>) -> (f64, f64) {
    let containers = |key: &str| {
        spec.and_then(|s| s.get(key)).and_then(Value::as_array).into_iter().flatten().map(|c| {
            let requests = c.pointer("/resources/requests");
            (quantity(requests.and_then(|r| r.get("cpu"))), quantity(requests.and_then(|r| r.get("memory"))))
        })
    };
    let (cpu, memory) = containers("containers").fold((0.0, 0.0), |(a, b), (c, m)| (a + c, b + m));
    let (icpu, imemory) = containers("initContainers").fold((0.0_f64, 0.0_f64), |(a, b), (c, m)| (a.max(c), b.max(m)));
    (cpu.max(icpu), memory.max(imemory))
}

fn storage(spec: Option<&Value>) -> f64 {
    quantity(spec.and_then(|s| s.pointer("/resources/requests/storage")))
}

impl Requests {
    /// `750m CPU, 1.5Gi memory, 10Gi storage, 3 pods`.
    pub fn describe(&self) -> String {
        format!(
            "{} CPU, {} memory, {} storage, {} pod{}",
            cores(self.cpu),
            bytes(self.memory),
            bytes(self.storage),
            self.pods,
            if self.pods == 1 { "" } else { "s" }
        )
    }
}

/// Cores as Kubernetes writes them: `2`, `1.5`, `750m`.
fn cores(value: f64) -> String {
    let millis = (value * 1000.0).round();
    if millis % 1000.0 == 0.0 {
        format!("{}", millis / 1000.0)
    } else if millis % 100.0 == 0.0 {
        format!("{:.1}", millis / 1000.0)
    } else {
        format!("{millis}m")
    }
}

/// Bytes in the largest binary unit that leaves at most one decimal: `1.5Gi`, `768Mi`.
fn bytes(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let units = [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)];
    for (unit, shift) in units {
        let base = 2f64.powi(shift);
        let n = value / base;
        if n >= 1.0 {
            let tenths = (n * 10.0).round() / 10.0;
            return if tenths.fract() == 0.0 { format!("{tenths}{unit}") } else { format!("{tenths:.1}{unit}") };
        }
    }
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_pods_claims_and_reads_the_quota() {
        let objects: Vec<Value> = serde_json::from_str(
            r#"[
            {"kind": "Deployment", "spec": {"replicas": 2, "template": {"spec": {
                "containers": [{"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}}, {"resources": {}}]}}}},
            {"kind": "StatefulSet", "spec": {"template": {"spec": {
                "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "64Mi"}}}],
                "containers": [{"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}},
                "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "10Gi"}}}}]}},
            {"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "512Mi"}}}},
            {"kind": "Job", "spec": {"template": {"spec": {"containers": [{"resources": {"requests": {"cpu": "4"}}}]}}}},
            {"kind": "ResourceQuota", "spec": {"hard": {"requests.cpu": "4", "pods": 20, "limits.cpu": "8"}}}
        ]"#,
        )
        .unwrap();
        let r = requests(&objects);
        assert_eq!(r.pods, 3);
        assert_eq!(r.describe(), "1.5 CPU, 1.5Gi memory, 10.5Gi storage, 3 pods");
        assert_eq!(r.quota, [("requests.cpu".to_owned(), "4".to_owned()), ("pods".to_owned(), "20".to_owned())]);
        assert_eq!(Requests::default().describe(), "0 CPU, 0 memory, 0 storage, 0 pods");
        assert_eq!(cores(0.75), "750m");
    }
}
