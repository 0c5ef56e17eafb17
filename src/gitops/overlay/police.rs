//! The overlay's objects against the platform's policy (SPEC §7). The generator renders the spec
//! under the policy, but the overlay is the pull request's too: its kustomization may patch any
//! object it built, or add its own. So what lands is checked again, object by object, for what
//! the policy and the generator guarantee: images from the allowed registries, Ingress
//! annotations past the denylist and the allowlist, routes on the platform's Gateway only,
//! in-cluster Services, pods without host access or privilege, the Namespace's Pod Security
//! labels, replicas and the ResourceQuota within the limits, and every object in the preview's
//! namespace (the restore RBAC and cleanup Job in Velero's excepted, as the generator renders
//! them). Every violation is reported at once, at its object and field.

use serde_json::{Map, Value};

use super::error::{OverlayError, Violation};
use super::objects::Overlay;
use crate::k8s::Quantity;
use crate::policy::Policy;
use crate::policy::check::{annotation_refusal, image_refusal};
use crate::render::meta::SYNC_WAVE;
use crate::render::seeding::CLEANUP_ACCOUNT;

/// Kinds Kubernetes and the usual add-ons keep outside any namespace. An overlay may not add one:
/// it would reach beyond the preview (and outlive it).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterSecretStore",
    "ClusterExternalSecret",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "GatewayClass",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeSnapshotClass",
    "VolumeSnapshotContent",
];

/// The Pod Security labels the generator puts on the Namespace.
const POD_SECURITY: [&str; 3] =
    ["pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/audit", "pod-security.kubernetes.io/warn"];

/// Quota keys the generator always caps, with the policy entry that bounds each.
const QUOTA_CAPS: [(&str, &str); 3] =
    [("requests.cpu", "limits.cpu"), ("requests.memory", "limits.memory"), ("limits.memory", "limits.memory")];

impl Overlay {
    /// Refuses a build with any object beyond `policy`, naming every violation; `overlay` names it.
    /// `platform_image` is the kpreview image of the restore and cleanup Jobs (`KPREVIEW_IMAGE`),
    /// the platform's, which passes as it does in a spec's render.
    pub fn police(&self, overlay: &str, policy: &Policy, platform_image: &str) -> Result<(), OverlayError> {
        let violations = violations(&self.objects, &self.namespace, policy, platform_image);
        if violations.is_empty() {
            return Ok(());
        }
        Err(OverlayError::Policed { overlay: overlay.to_owned(), policy: policy.source.clone(), violations })
    }
}

/// Every way `objects`, the build of the preview in `namespace`, go beyond `policy`;
/// `platform_image` is the platform's kpreview image, which any `images` allows.
pub fn violations(objects: &[Value], namespace: &str, policy: &Policy, platform_image: &str) -> Vec<Violation> {
    let mut out = Vecs { all: Vec::new() };
    for object in objects {
        let Some(map) = object.as_object() else { continue };
        let at = At { kind: text(object, "/kind"), name: text(object, "/metadata/name") };
        placement(&at, object, namespace, policy, &mut out);
        match at.kind {
            "Namespace" if at.name == namespace => namespace_labels(&at, object, &mut out),
            "Ingress" => ingress(&at, map, policy, &mut out),
            "HTTPRoute" => route(&at, object, policy, &mut out),
            "Service" => service(&at, object, &mut out),
            "RoleBinding" if !in_preview(object, namespace) && text(object, "/roleRef/kind") != "Role" => out.push(
                &at,
                "roleRef.kind",
                "binds a ClusterRole in Velero's namespace; the generator binds only its own Role there".to_owned(),
            ),
            "Role" if !in_preview(object, namespace) => velero_role(&at, object, &mut out),
            _ => {}
        }
        if let Some((path, pod)) = pod_spec(object) {
            pod_checks(&at, path, pod, (policy, platform_image), &mut out);
            if !in_preview(object, namespace) && text(pod, "/serviceAccountName") != CLEANUP_ACCOUNT {
                out.push(
                    &at,
                    &format!("{path}.serviceAccountName"),
                    format!("a pod outside the preview's namespace runs only as `{CLEANUP_ACCOUNT}`, the generator's cleanup account"),
                );
            }
        }
        replicas(&at, object, policy, &mut out);
    }
    quota(objects, namespace, policy, &mut out);
    out.all
}

/// An object as messages name it: `Deployment/api`.
struct At<'v> {
    kind: &'v str,
    name: &'v str,
}

struct Vecs {
    all: Vec<Violation>,
}

impl Vecs {
    fn push(&mut self, at: &At<'_>, path: &str, why: String) {
        self.all.push(Violation { object: format!("{}/{}", at.kind, at.name), path: path.to_owned(), why });
    }
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn is_true(value: &Value, pointer: &str) -> bool {
    value.pointer(pointer).and_then(Value::as_bool) == Some(true)
}

fn items<'v>(value: &'v Value, pointer: &str) -> &'v [Value] {
    value.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Whether `object` lands in the preview's namespace (none written: Argo CD's destination, which
/// is the preview's).
fn in_preview(object: &Value, namespace: &str) -> bool {
    let written = text(object, "/metadata/namespace");
    written.is_empty() || written == namespace
}

/// Only namespaced objects in the preview's namespace, and what the generator renders elsewhere.
fn placement(at: &At<'_>, object: &Value, namespace: &str, policy: &Policy, out: &mut Vecs) {
    let written = text(object, "/metadata/namespace");
    let cluster_scoped = CLUSTER_SCOPED.contains(&at.kind);
    if cluster_scoped {
        let generators = match at.kind {
            "Namespace" => at.name == namespace && text(object, "/apiVersion") == "v1",
            "VolumeSnapshotContent" => text(object, "/spec/volumeSnapshotRef/namespace") == namespace,
            _ => false,
        };
        if !generators {
            out.push(
                at,
                "kind",
                format!(
                    "is cluster-scoped; a preview holds only its own Namespace and objects inside namespace `{namespace}`"
                ),
            );
        }
        return;
    }
    if written.is_empty() || written == namespace {
        return;
    }
    let velero = policy.platform.velero.as_deref();
    if velero == Some(written) && matches!(at.kind, "Role" | "RoleBinding" | "Job") {
        return;
    }
    let velero = velero
        .map(|v| {
            format!(
                " (only the restore Role, RoleBinding and cleanup Job go to `{v}`, {})",
                policy.entry("platform.velero")
            )
        })
        .unwrap_or_default();
    out.push(
        at,
        "metadata.namespace",
        format!("is `{written}`; a preview's objects are in its namespace `{namespace}`{velero}"),
    );
}

fn namespace_labels(at: &At<'_>, object: &Value, out: &mut Vecs) {
    for key in POD_SECURITY {
        let value = object.pointer("/metadata/labels").and_then(|l| l.get(key)).and_then(Value::as_str);
        if value != Some("restricted") {
            let shown = value.map_or_else(|| "missing".to_owned(), |v| format!("`{v}`"));
            out.push(
                at,
                &format!("metadata.labels.{key}"),
                format!("is {shown}; the generator enforces Pod Security `restricted` on every preview"),
            );
        }
    }
}

fn ingress(at: &At<'_>, map: &Map<String, Value>, policy: &Policy, out: &mut Vecs) {
    let Some(annotations) = map.get("metadata").and_then(|m| m.get("annotations")).and_then(Value::as_object) else {
        return;
    };
    for key in annotations.keys() {
        // The generator's own: Argo CD's wave, which kpreview writes on every object.
        if key == SYNC_WAVE {
            continue;
        }
        let why = crate::spec::annotation_problem(key).or_else(|| annotation_refusal(policy, key));
        if let Some(why) = why {
            out.push(at, &format!("metadata.annotations.{key}"), why);
        }
    }
}

fn route(at: &At<'_>, object: &Value, policy: &Policy, out: &mut Vecs) {
    let Some(gateway) = &policy.platform.gateway else { return };
    for (i, parent) in items(object, "/spec/parentRefs").iter().enumerate() {
        let (name, ns) = (text(parent, "/name"), text(parent, "/namespace"));
        let kind = text(parent, "/kind");
        if name != gateway.name || ns != gateway.namespace || !(kind.is_empty() || kind == "Gateway") {
            out.push(
                at,
                &format!("spec.parentRefs[{i}]"),
                format!(
                    "attaches to `{ns}/{name}`; {} is the only Gateway a preview's routes attach to, `{}/{}`",
                    policy.entry("platform.gateway"),
                    gateway.namespace,
                    gateway.name
                ),
            );
        }
    }
}

fn service(at: &At<'_>, object: &Value, out: &mut Vecs) {
    let kind = text(object, "/spec/type");
    if !(kind.is_empty() || kind == "ClusterIP") {
        out.push(
            at,
            "spec.type",
            format!(
                "is `{kind}`; a preview's Services are ClusterIP (or headless), reached through its Ingress or route"
            ),
        );
    }
    if !items(object, "/spec/externalIPs").is_empty() {
        out.push(
            at,
            "spec.externalIPs",
            "claims external IPs; a preview's Services stay inside the cluster".to_owned(),
        );
    }
}

/// The restore Role the generator puts in Velero's namespace: Velero Restores only.
fn velero_role(at: &At<'_>, object: &Value, out: &mut Vecs) {
    for (i, rule) in items(object, "/rules").iter().enumerate() {
        let only = |field: &str, allowed: &str| items(rule, field).iter().all(|v| v.as_str() == Some(allowed));
        if !only("/apiGroups", "velero.io") || !only("/resources", "restores") || rule.get("nonResourceURLs").is_some()
        {
            out.push(
                at,
                &format!("rules[{i}]"),
                "grants more than Velero Restores in Velero's namespace, which the generator's restore Role is limited to"
                    .to_owned(),
            );
        }
    }
}

/// The pod spec of a workload, with its path.
fn pod_spec(object: &Value) -> Option<(&'static str, &Value)> {
    let path = match text(object, "/kind") {
        "Pod" => "spec",
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => "spec.template.spec",
        "CronJob" => "spec.jobTemplate.spec.template.spec",
        _ => return None,
    };
    let pointer = format!("/{}", path.replace('.', "/"));
    object.pointer(&pointer).map(|pod| (path, pod))
}

fn pod_checks(at: &At<'_>, path: &str, pod: &Value, (policy, platform_image): (&Policy, &str), out: &mut Vecs) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(pod, &format!("/{field}")) {
            out.push(
                at,
                &format!("{path}.{field}"),
                "shares the node's namespaces; Pod Security `restricted` forbids it".to_owned(),
            );
        }
    }
    for (i, volume) in items(pod, "/volumes").iter().enumerate() {
        if volume.get("hostPath").is_some() {
            out.push(
                at,
                &format!("{path}.volumes[{i}].hostPath"),
                "mounts the node's filesystem; Pod Security `restricted` forbids it".to_owned(),
            );
        }
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, container) in items(pod, &format!("/{list}")).iter().enumerate() {
            let at_container = format!("{path}.{list}[{i}]");
            let image = text(container, "/image");
            if let Some(why) = image_refusal(policy, image).filter(|_| image != platform_image) {
                out.push(at, &format!("{at_container}.image"), why);
            }
            if is_true(container, "/securityContext/privileged") {
                out.push(
                    at,
                    &format!("{at_container}.securityContext.privileged"),
                    "runs privileged; Pod Security `restricted` forbids it".to_owned(),
                );
            }
            if is_true(container, "/securityContext/allowPrivilegeEscalation") {
                out.push(
                    at,
                    &format!("{at_container}.securityContext.allowPrivilegeEscalation"),
                    "allows privilege escalation; Pod Security `restricted` forbids it".to_owned(),
                );
            }
        }
    }
}

fn replicas(at: &At<'_>, object: &Value, policy: &Policy, out: &mut Vecs) {
    // An autoscaler would scale past the limit what the overlay wrote within it.
    let field = match at.kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" => "replicas",
        "HorizontalPodAutoscaler" => "maxReplicas",
        _ => return,
    };
    let Some(replicas) = object.pointer(&format!("/spec/{field}")).and_then(Value::as_i64) else { return };
    if replicas > i64::from(policy.limits.replicas) {
        out.push(
            at,
            &format!("spec.{field}"),
            format!(
                "{replicas} replicas; {} allows at most {} of one service",
                policy.entry("limits.replicas"),
                policy.limits.replicas
            ),
        );
    }
}

/// The most pods the generator's quota can admit under `policy`: twice every replica, migrate and
/// restore Job of the most services the policy allows, plus two.
fn most_pods(policy: &Policy) -> u64 {
    let services = u64::from(policy.limits.services);
    2 * services * (u64::from(policy.limits.replicas) + 2) + 2
}

/// The ResourceQuota still caps what the generator capped. Kubernetes enforces every quota of a
/// namespace, so each resource's cap is the smallest over the quotas that apply to every pod
/// (those without scopes).
fn quota(objects: &[Value], namespace: &str, policy: &Policy, out: &mut Vecs) {
    let quotas: Vec<&Value> = objects
        .iter()
        .filter(|o| text(o, "/kind") == "ResourceQuota" && in_preview(o, namespace))
        .filter(|o| o.pointer("/spec/scopes").is_none() && o.pointer("/spec/scopeSelector").is_none())
        .collect();
    let name = quotas.first().map_or("preview", |q| text(q, "/metadata/name"));
    let at = At { kind: "ResourceQuota", name };
    let cap = |key: &str| -> Option<(f64, String)> {
        quotas
            .iter()
            .filter_map(|q| q.pointer("/spec/hard").and_then(|h| h.get(key)))
            .filter_map(|v| match v {
                Value::String(s) => Quantity::parse(s).ok().map(|q| (q.value(), s.clone())),
                Value::Number(n) => n.as_f64().map(|f| (f, n.to_string())),
                _ => None,
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let mut over = |key: &str, entry: &str, limit: f64, shown: &str| match cap(key) {
        None => out.push(
            &at,
            &format!("spec.hard.{key}"),
            format!(
                "is missing; the generator caps it at most at {shown} ({}), and no quota of the preview's caps it now",
                policy.entry(entry)
            ),
        ),
        Some((value, text)) if value > limit * (1.0 + 1e-9) => out.push(
            &at,
            &format!("spec.hard.{key}"),
            format!("is `{text}`, above the {shown} that {} allows a preview", policy.entry(entry)),
        ),
        Some(_) => {}
    };
    let limits = &policy.limits;
    for (key, entry) in QUOTA_CAPS {
        let limit = if entry == "limits.cpu" { &limits.cpu } else { &limits.memory };
        over(key, entry, limit.value(), limit.as_str());
    }
    let pods = most_pods(policy);
    #[allow(clippy::cast_precision_loss)]
    over("pods", "limits.services` and `limits.replicas", pods as f64, &pods.to_string());
    over("persistentvolumeclaims", "limits.services", f64::from(limits.services), &limits.services.to_string());
    // Storage is capped through the claims: none admitted needs no storage cap.
    if cap("persistentvolumeclaims").is_some_and(|(claims, _)| claims > 0.0) {
        over("requests.storage", "limits.storage", limits.storage.value(), limits.storage.as_str());
    }
    for key in ["services.loadbalancers", "services.nodeports"] {
        if cap(key).is_none_or(|(value, _)| value > 0.0) {
            out.push(
                &at,
                &format!("spec.hard.{key}"),
                "must stay `0`, as the generator renders it: a preview opens no load balancer or node port".to_owned(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "shop-pr-7";
    /// The platform's kpreview image in these tests.
    const IMAGE: &str = "mirror.example.com/kpreview:1";

    fn objects(stream: &str) -> Vec<Value> {
        crate::yaml::values_from_stream(stream).unwrap()
    }

    /// A quota as the generator renders it, within the built-in limits.
    const QUOTA: &str = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: preview, namespace: shop-pr-7}\nspec:\n  hard: {requests.cpu: 700m, requests.memory: 1Gi, limits.memory: 2Gi, pods: \"12\", persistentvolumeclaims: \"1\", requests.storage: 5Gi, services.loadbalancers: \"0\", services.nodeports: \"0\"}\n";
    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-pr-7\n  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/audit: restricted, pod-security.kubernetes.io/warn: restricted}\n";

    /// The violations of `extra` next to a Namespace and quota that pass, as `Kind/name path`.
    fn found(extra: &str, policy: &Policy) -> Vec<String> {
        let stream = format!("{NAMESPACE}---\n{QUOTA}---\n{extra}");
        violations(&objects(&stream), NS, policy, IMAGE).iter().map(|v| format!("{} {}", v.object, v.path)).collect()
    }

    fn policy(text: &str) -> Policy {
        crate::policy::read(&format!("apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\n{text}"), "p.yaml")
            .unwrap()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop-pr-7}\nspec:\n  replicas: 2\n  template:\n    spec:\n      initContainers: [{name: init, image: registry.example.com/shop/init:1}]\n      containers: [{name: api, image: registry.example.com/shop/api:1, securityContext: {allowPrivilegeEscalation: false}}]\n";

    #[test]
    fn what_the_generator_renders_passes() {
        let p = policy(
            "images: [registry.example.com/]\nplatform: {gateway: {name: previews, namespace: gateway-system}}\n",
        );
        let extra = format!(
            "{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata: {{name: api}}\nspec: {{clusterIP: None}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: api, annotations: {{argocd.argoproj.io/sync-wave: \"3\", cert-manager.io/cluster-issuer: x}}}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: api}}\nspec: {{parentRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: previews, namespace: gateway-system}}]}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: velero}}\nrules: [{{apiGroups: [velero.io], resources: [restores], verbs: [create]}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: r, namespace: velero}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: c, namespace: velero}}\nspec: {{template: {{spec: {{serviceAccountName: kpreview-cleanup, containers: [{{name: c, image: mirror.example.com/kpreview:1}}]}}}}}}\n---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotContent\nmetadata: {{name: s}}\nspec: {{volumeSnapshotRef: {{name: s, namespace: shop-pr-7}}}}\n"
        );
        assert_eq!(found(&extra, &p), Vec::<String>::new());
    }

    #[test]
    fn images_of_every_pod_template_are_checked() {
        let p = policy("images: [registry.example.com/]\n");
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: x, image: evil.io/miner}]}}}}}\n";
        let extra = format!("{}---\n{cron}", DEPLOYMENT.replace("registry.example.com/shop/init", "evil.io/init"));
        assert_eq!(
            found(&extra, &p),
            [
                "Deployment/api spec.template.spec.initContainers[0].image",
                "CronJob/nightly spec.jobTemplate.spec.template.spec.containers[0].image"
            ]
        );
        let stream = format!("{NAMESPACE}---\n{QUOTA}---\n{cron}");
        let why = &violations(&objects(&stream), NS, &p, IMAGE)[0].why;
        assert_eq!(
            why,
            "`evil.io/miner` is not from a registry the platform allows: `images` of the policy p.yaml accepts images starting with `registry.example.com/`"
        );
        assert!(found(&extra, &Policy::default()).is_empty(), "no `images`, any image");
    }

    #[test]
    fn ingress_annotations_pass_the_denylist_and_the_allowlist() {
        let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: api\n  annotations: {nginx.ingress.kubernetes.io/configuration-snippet: x, argocd.argoproj.io/hook: PreSync, nginx.ingress.kubernetes.io/proxy-body-size: 8m, argocd.argoproj.io/sync-wave: \"1\"}\n";
        assert_eq!(
            found(ingress, &Policy::default()),
            [
                "Ingress/api metadata.annotations.nginx.ingress.kubernetes.io/configuration-snippet",
                "Ingress/api metadata.annotations.argocd.argoproj.io/hook"
            ]
        );
        let p = policy("ingressAnnotations: [cert-manager.io/cluster-issuer]\n");
        assert_eq!(found(ingress, &p).len(), 3, "{:?}", found(ingress, &p));
    }

    #[test]
    fn routes_attach_only_to_the_platform_s_gateway() {
        let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: api}\nspec: {parentRefs: [{name: previews, namespace: gateway-system}, {name: prod, namespace: gateway-system}]}\n";
        assert!(found(route, &Policy::default()).is_empty(), "no gateway in the policy");
        let p = policy("platform: {gateway: {name: previews, namespace: gateway-system}}\n");
        assert_eq!(found(route, &p), ["HTTPRoute/api spec.parentRefs[1]"]);
    }

    #[test]
    fn services_stay_in_the_cluster() {
        let service = |spec: &str| format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {spec}\n");
        let extra = [
            service("{type: LoadBalancer}"),
            service("{type: NodePort}"),
            service("{type: ExternalName, externalName: x.example}"),
            service("{externalIPs: [1.2.3.4]}"),
        ]
        .join("---\n");
        assert_eq!(
            found(&extra, &Policy::default()),
            ["Service/s spec.type", "Service/s spec.type", "Service/s spec.type", "Service/s spec.externalIPs"]
        );
    }

    #[test]
    fn pods_get_no_host_access_or_privilege() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  hostPID: true\n  hostIPC: true\n  volumes: [{name: root, hostPath: {path: /}}]\n  containers: [{name: c, image: x, securityContext: {privileged: true, allowPrivilegeEscalation: true}}]\n";
        assert_eq!(
            found(pod, &Policy::default()),
            [
                "Pod/p spec.hostNetwork",
                "Pod/p spec.hostPID",
                "Pod/p spec.hostIPC",
                "Pod/p spec.volumes[0].hostPath",
                "Pod/p spec.containers[0].securityContext.privileged",
                "Pod/p spec.containers[0].securityContext.allowPrivilegeEscalation"
            ]
        );
    }

    #[test]
    fn the_namespace_keeps_pod_security_restricted() {
        let stream = format!("{}---\n{QUOTA}", NAMESPACE.replace("enforce: restricted", "enforce: privileged"));
        let got = violations(&objects(&stream), NS, &Policy::default(), IMAGE);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].path, "metadata.labels.pod-security.kubernetes.io/enforce");
        assert!(got[0].why.starts_with("is `privileged`"), "{}", got[0].why);
    }

    #[test]
    fn replicas_stay_within_the_limit() {
        let got = found(&DEPLOYMENT.replace("replicas: 2", "replicas: 500"), &policy("limits: {replicas: 3}\n"));
        assert_eq!(got, ["Deployment/api spec.replicas"]);
        let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\nspec: {minReplicas: 1, maxReplicas: 50}\n";
        assert_eq!(found(hpa, &policy("limits: {replicas: 3}\n")), ["HorizontalPodAutoscaler/api spec.maxReplicas"]);
        assert!(found(hpa, &policy("limits: {replicas: 50}\n")).is_empty());
    }

    #[test]
    fn the_quota_keeps_the_generator_s_caps() {
        let check = |quota: &str, policy: &Policy| -> Vec<String> {
            let stream = format!("{NAMESPACE}---\n{quota}");
            violations(&objects(&stream), NS, policy, IMAGE).iter().map(|v| v.path.clone()).collect()
        };
        assert!(check(QUOTA, &Policy::default()).is_empty());
        let gutted = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: preview}\nspec: {hard: {pods: \"1000\"}}\n";
        assert_eq!(
            check(gutted, &Policy::default()),
            [
                "spec.hard.requests.cpu",
                "spec.hard.requests.memory",
                "spec.hard.limits.memory",
                "spec.hard.pods",
                "spec.hard.persistentvolumeclaims",
                "spec.hard.services.loadbalancers",
                "spec.hard.services.nodeports"
            ]
        );
        let raised = QUOTA
            .replace("requests.cpu: 700m", "requests.cpu: \"100\"")
            .replace("requests.storage: 5Gi", "requests.storage: 2Ti");
        assert_eq!(check(&raised, &Policy::default()), ["spec.hard.requests.cpu", "spec.hard.requests.storage"]);
        // A scoped quota does not cap every pod; a second, stricter one caps what it names.
        let scoped = QUOTA.replace("spec:\n", "spec:\n  scopes: [BestEffort]\n");
        assert_eq!(check(&scoped, &Policy::default()).len(), 7);
        let stricter = format!(
            "{raised}---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: mine}}\nspec: {{hard: {{requests.cpu: \"1\", requests.storage: 1Gi}}}}\n"
        );
        assert!(check(&stricter, &Policy::default()).is_empty());
        let cheap = policy("limits: {cpu: 500m}\n");
        assert_eq!(check(QUOTA, &cheap), ["spec.hard.requests.cpu"]);
    }

    #[test]
    fn objects_stay_in_the_preview_s_namespace() {
        let extra = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: admin}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x.example.com}\n---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: velero}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: velero}\nroleRef: {kind: ClusterRole, name: cluster-admin}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: velero}\nrules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get]}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: velero}\nspec: {template: {spec: {serviceAccountName: velero, containers: [{name: c, image: x}]}}}\n";
        assert_eq!(
            found(extra, &Policy::default()),
            [
                "ConfigMap/a metadata.namespace",
                "ClusterRoleBinding/admin kind",
                "CustomResourceDefinition/x.example.com kind",
                "PersistentVolume/pv kind",
                "Namespace/other kind",
                "Secret/s metadata.namespace",
                "RoleBinding/rb roleRef.kind",
                "Role/r rules[0]",
                "Job/j spec.template.spec.serviceAccountName"
            ]
        );
    }
}
