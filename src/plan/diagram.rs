//! The plan as a graph, drawn the same way by the Mermaid and DOT writers: one cluster per step
//! (phase and wave) in sync order holding the workloads that sync in it; the objects around them
//! (Namespace, policies, RBAC) summed up in one node per step; dependencies, migrations, Ingresses
//! and seeds as edges, and what lives outside the preview (staging, other pull requests, URLs,
//! seed images) as nodes of their own. Edges point from what comes first, or is used, to what
//! needs it, so they run along the sync order.

use std::collections::BTreeMap;

use super::types::{EdgeKind, Phase, Plan, PlanObject, SeedPlan, Step};

/// A graph ready to write.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// A one-line title.
    pub title: String,
    /// One per step, in sync order.
    pub clusters: Vec<Cluster>,
    /// Nodes outside the preview, by index.
    pub outside: Vec<usize>,
    /// Every node; a node's id is `n<index>`.
    pub nodes: Vec<Node>,
    /// Every edge, in a stable order.
    pub edges: Vec<Link>,
}

/// The nodes of one step.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Its title: position, phase and wave.
    pub title: String,
    /// Its nodes, by index.
    pub nodes: Vec<usize>,
}

/// A node: lines of text and what it stands for.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its lines, first the name.
    pub lines: Vec<String>,
    /// What it is.
    pub class: NodeClass,
}

/// What a node stands for; each writer styles these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeClass {
    /// Namespace-level objects, RBAC.
    Setup,
    /// A service's Deployment (and Service).
    Service,
    /// A data store's StatefulSet (and headless Service).
    Store,
    /// A Job: migration, restore, cleanup.
    Job,
    /// A VolumeSnapshot (and its content).
    Snapshot,
    /// An Ingress host.
    Host,
    /// A service in staging.
    Staging,
    /// A service in another pull request's preview.
    OtherPreview,
    /// A fixed URL.
    Url,
    /// A pre-seeded image.
    SeedImage,
}

impl NodeClass {
    /// A short name for class names in output.
    pub fn name(self) -> &'static str {
        match self {
            NodeClass::Setup => "setup",
            NodeClass::Service => "service",
            NodeClass::Store => "store",
            NodeClass::Job => "job",
            NodeClass::Snapshot => "snapshot",
            NodeClass::Host => "host",
            NodeClass::Staging => "staging",
            NodeClass::OtherPreview => "pr",
            NodeClass::Url => "url",
            NodeClass::SeedImage => "seedimage",
        }
    }
}

/// An edge.
#[derive(Debug, Clone)]
pub struct Link {
    /// From this node (index).
    pub from: usize,
    /// To this node (index).
    pub to: usize,
    /// Lines of its label, if any.
    pub label: Vec<String>,
    /// What it means.
    pub style: LinkStyle,
}

/// What an edge means; each writer styles these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkStyle {
    /// A service uses another service of the preview.
    Service,
    /// A service uses a data store of the preview.
    Store,
    /// A service uses staging.
    Staging,
    /// A service uses another pull request's preview.
    OtherPreview,
    /// A service uses a fixed URL.
    Url,
    /// Data flows into a store.
    Seed,
    /// A migration runs before its service.
    Migration,
    /// A service is exposed by an Ingress.
    Ingress,
    /// Only keeps the steps in order; drawn invisible.
    Order,
}

impl Diagram {
    /// The diagram of `plan`.
    pub fn of(plan: &Plan) -> Diagram {
        let mut builder = Builder::default();
        let clusters = plan.steps.iter().enumerate().map(|(i, step)| builder.cluster(plan, i, step)).collect();
        let mut diagram = Diagram {
            title: format!(
                "{} · pull request #{} · expires {} after its last publish",
                plan.namespace, plan.pull_request.number, plan.ttl
            ),
            clusters,
            outside: Vec::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        builder.edges(plan);
        builder.order(&diagram.clusters);
        diagram.nodes = builder.nodes;
        diagram.outside = builder.outside.into_values().collect();
        diagram.outside.sort_unstable();
        diagram.edges = builder.edges;
        diagram
    }

    /// The id of node `index`, the same in every format.
    pub fn id(index: usize) -> String {
        format!("n{index}")
    }
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    /// Node of each drawn object, by kind, namespace and name.
    objects: BTreeMap<(String, String, String), usize>,
    /// Nodes outside the preview, by what they are.
    outside: BTreeMap<(NodeClass, String), usize>,
    edges: Vec<Link>,
}

impl Builder {
    fn node(&mut self, lines: Vec<String>, class: NodeClass) -> usize {
        self.nodes.push(Node { lines, class });
        self.nodes.len() - 1
    }

    fn cluster(&mut self, plan: &Plan, position: usize, step: &Step) -> Cluster {
        let mut title = format!("{} · {} wave {}", position + 1, step.phase.as_str(), step.wave);
        if step.phase == Phase::PostDelete {
            title.push_str(" · when the preview is deleted");
        }
        let mut drawn = Vec::new();
        let mut rest = Vec::new();
        for object in &step.objects {
            match workload(plan, object) {
                Some(node) => drawn.push((object, node)),
                None => rest.push(object),
            }
        }
        let has = |kind: &str, name: &str| drawn.iter().any(|(o, _)| o.kind == kind && o.name == name);
        // A Service belongs to the Deployment or StatefulSet of its name, a content to its snapshot.
        let folded = |o: &PlanObject| match o.kind.as_str() {
            "Service" => has("Deployment", &o.name) || has("StatefulSet", &o.name),
            "VolumeSnapshotContent" => drawn.iter().any(|(d, _)| d.kind == "VolumeSnapshot"),
            _ => false,
        };
        rest.retain(|o| !folded(o));
        let mut nodes = Vec::new();
        if !rest.is_empty() || drawn.is_empty() {
            nodes.push(self.node(summary(&step.objects, &rest), NodeClass::Setup));
        }
        for (object, (lines, class)) in drawn {
            let index = self.node(lines, class);
            let key = (object.kind.clone(), object.namespace.clone().unwrap_or_default(), object.name.clone());
            self.objects.insert(key, index);
            nodes.push(index);
        }
        Cluster { title, nodes }
    }

    /// The node of an object drawn on its own.
    fn drawn(&self, kind: &str, namespace: &str, name: &str) -> Option<usize> {
        self.objects.get(&(kind.to_owned(), namespace.to_owned(), name.to_owned())).copied()
    }

    fn external(&mut self, class: NodeClass, lines: Vec<String>) -> usize {
        let key = (class, lines.join("\n"));
        if let Some(index) = self.outside.get(&key) {
            return *index;
        }
        let index = self.node(lines, class);
        self.outside.insert(key, index);
        index
    }

    fn link(&mut self, from: Option<usize>, to: Option<usize>, style: LinkStyle, label: Vec<String>) {
        if let (Some(from), Some(to)) = (from, to) {
            self.edges.push(Link { from, to, label, style });
        }
    }

    fn edges(&mut self, plan: &Plan) {
        let ns = plan.namespace.as_str();
        for store in &plan.stores {
            let to = self.drawn("StatefulSet", ns, &store.name);
            match &store.seed {
                SeedPlan::Empty => {}
                SeedPlan::Velero { backup, base_namespace, job, .. } => {
                    let from = self.drawn("Job", &job.namespace, &job.name);
                    let label = vec![format!("Velero backup {backup}"), format!("of {base_namespace}")];
                    self.link(from, to, LinkStyle::Seed, label);
                }
                SeedPlan::Snapshot { handle, tags, volume_snapshot, .. } => {
                    let from = self.drawn("VolumeSnapshot", ns, volume_snapshot);
                    let mut label = vec![format!("snapshot {handle}")];
                    if let Some(tags) = tags {
                        let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        label.push(format!("tags {}", tags.join(", ")));
                    }
                    self.link(from, to, LinkStyle::Seed, label);
                }
                SeedPlan::Image { image } => {
                    let from = self.external(NodeClass::SeedImage, vec![image.clone()]);
                    self.link(Some(from), to, LinkStyle::Seed, vec!["seed image".to_owned()]);
                }
            }
        }
        for service in &plan.services {
            let to = self.drawn("Deployment", ns, &service.name);
            if let Some(job) = &service.migration {
                let from = self.drawn("Job", &job.namespace, &job.name);
                self.link(from, to, LinkStyle::Migration, Vec::new());
            }
            for dep in &service.depends_on {
                let (from, style) = match dep.kind {
                    EdgeKind::Service => (self.drawn("Deployment", ns, &dep.name), LinkStyle::Service),
                    EdgeKind::Store => (self.drawn("StatefulSet", ns, &dep.name), LinkStyle::Store),
                    EdgeKind::Staging => (
                        Some(self.external(NodeClass::Staging, vec![dep.name.clone(), "staging".to_owned()])),
                        LinkStyle::Staging,
                    ),
                    EdgeKind::OtherPreview => {
                        let pr = dep.pr.map(|n| format!("pull request #{n}")).unwrap_or_default();
                        let namespace = dep.namespace.clone().unwrap_or_default();
                        let lines = vec![dep.name.clone(), pr, namespace];
                        (Some(self.external(NodeClass::OtherPreview, lines)), LinkStyle::OtherPreview)
                    }
                    EdgeKind::Url => (
                        Some(
                            self.external(NodeClass::Url, vec![dep.name.clone(), dep.url.clone().unwrap_or_default()]),
                        ),
                        LinkStyle::Url,
                    ),
                };
                self.link(from, to, style, Vec::new());
            }
            if service.host.is_some() {
                let host =
                    self.drawn("Ingress", ns, &service.name).or_else(|| self.drawn("HTTPRoute", ns, &service.name));
                self.link(to, host, LinkStyle::Ingress, Vec::new());
            }
        }
    }

    /// Invisible edges from each step to the next, so a layout keeps the steps in order even where
    /// no dependency links them.
    fn order(&mut self, clusters: &[Cluster]) {
        for pair in clusters.windows(2) {
            self.link(pair[0].nodes.first().copied(), pair[1].nodes.first().copied(), LinkStyle::Order, Vec::new());
        }
    }
}

/// The node of an object that is drawn on its own, or `None` for one summed up with the rest.
fn workload(plan: &Plan, object: &PlanObject) -> Option<(Vec<String>, NodeClass)> {
    let in_preview = object.namespace.as_deref() == Some(plan.namespace.as_str());
    let name = object.name.clone();
    match object.kind.as_str() {
        "Deployment" if in_preview => {
            let what = match plan.services.iter().find(|s| s.name == object.name).and_then(|s| s.port) {
                Some(port) => format!("service, port {port}"),
                None => "service, no port".to_owned(),
            };
            Some((vec![name, what], NodeClass::Service))
        }
        "StatefulSet" if in_preview => {
            let what = match plan.stores.iter().find(|s| s.name == object.name) {
                Some(store) => format!("{} · {}", store.engine, store.storage),
                None => "StatefulSet".to_owned(),
            };
            Some((vec![name, what], NodeClass::Store))
        }
        "Job" => {
            let migration = plan.services.iter().any(|s| s.migration.as_ref().is_some_and(|j| j.name == object.name));
            let restore =
                plan.stores.iter().any(|s| matches!(&s.seed, SeedPlan::Velero { job, .. } if job.name == object.name));
            let what = match (migration, restore, object.namespace.as_deref()) {
                (true, _, _) => "migration Job".to_owned(),
                (_, true, _) => "Velero restore Job".to_owned(),
                (_, _, Some(ns)) if !in_preview => format!("Job in {ns}"),
                _ => "Job".to_owned(),
            };
            Some((vec![name, what], NodeClass::Job))
        }
        "Ingress" | "HTTPRoute" if in_preview => {
            let url = plan.hosts.iter().find(|h| h.service == object.name).map_or(name, |h| h.url.clone());
            Some((vec![url, object.kind.clone()], NodeClass::Host))
        }
        "VolumeSnapshot" if in_preview => Some((vec![name, "VolumeSnapshot".to_owned()], NodeClass::Snapshot)),
        _ => None,
    }
}

/// The lines of a step's summary node: the Namespace by name, then every other kind with its
/// count, two to a line.
fn summary(all: &[PlanObject], rest: &[&PlanObject]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for object in rest {
        if object.kind == "Namespace" {
            lines.push(format!("Namespace {}", object.name));
        } else if let Some(entry) = counts.iter_mut().find(|(kind, _)| *kind == object.kind) {
            entry.1 += 1;
        } else {
            counts.push((&object.kind, 1));
        }
    }
    let items: Vec<String> =
        counts.iter().map(|(kind, n)| if *n == 1 { (*kind).to_owned() } else { format!("{kind} ×{n}") }).collect();
    lines.extend(items.chunks(2).map(|pair| pair.join(", ")));
    if lines.is_empty() {
        lines.push(format!("{} objects", all.len()));
    }
    lines
}
