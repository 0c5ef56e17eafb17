//! What `init` makes of a compose file before it is written: one draft per service or data
//! store, with the comments that say what changed and why, turned into the commented spec.

use super::emit::{Map, Node};
use super::ports::Port;
use crate::spec::types::Engine;

/// A service of the spec.
#[derive(Debug, Clone, Default)]
pub struct ServiceDraft {
    /// Its spec name.
    pub name: String,
    /// The image, and a note on where it came from when it is not the compose file's.
    pub image: (String, Option<String>),
    /// The port, exposed or not.
    pub port: Option<u16>,
    /// Gets an Ingress (its compose ports were published).
    pub expose: bool,
    /// Every other port.
    pub named_ports: Vec<(String, Port)>,
    /// The compose `entrypoint`.
    pub command: Option<Vec<String>>,
    /// The compose `command`.
    pub args: Option<Vec<String>>,
    /// `env` entries in order: name, value, note; a `None` name is a comment alone.
    pub env: Vec<(Option<String>, String, Option<String>)>,
    /// Spec names of what it depends on.
    pub depends_on: Vec<String>,
    /// `deploy.replicas`.
    pub replicas: Option<u32>,
    /// A numeric compose `user`.
    pub run_as_user: Option<i64>,
    /// The HTTP path of its healthcheck.
    pub health_path: Option<String>,
    /// Comments above the service: what was left out.
    pub comments: Vec<String>,
}

/// A data store of the spec.
#[derive(Debug, Clone)]
pub struct StoreDraft {
    /// Its spec name.
    pub name: String,
    /// The engine.
    pub engine: Engine,
    /// `version`, when not the engine's default, and a note on it.
    pub version: (Option<String>, Option<String>),
    /// Comments above the store.
    pub comments: Vec<String>,
}

impl ServiceDraft {
    /// The service's mapping. `ports_field`: whether the spec has `ports` (else they are a comment).
    pub fn to_map(&self, ports_field: bool) -> Map {
        let mut map = Map::default();
        for comment in &self.comments {
            map.comment(comment);
        }
        match &self.image.1 {
            Some(note) => {
                map.comment(note);
                map.entry("image", Node::Text(self.image.0.clone()));
            }
            None => map.entry("image", Node::Text(self.image.0.clone())),
        }
        if let Some(port) = self.port {
            map.entry("port", Node::Plain(port.to_string()));
        }
        if self.expose {
            map.noted("expose", Node::Plain("true".into()), "an Ingress at <service>-<namespace>.<domain>");
        }
        if !self.named_ports.is_empty() {
            let mut ports = Map::default();
            for (name, port) in &self.named_ports {
                let value = if port.protocol == "TCP" {
                    Node::Plain(port.number.to_string())
                } else {
                    let mut long = Map::default();
                    long.entry("port", Node::Plain(port.number.to_string()));
                    long.entry("protocol", Node::Text(port.protocol.to_owned()));
                    Node::Map(long)
                };
                ports.entry(name.clone(), value);
            }
            if ports_field {
                map.entry("ports", Node::Map(ports));
            } else {
                map.comment(format!(
                    "Further ports, for `ports` once this kpreview has it: {}",
                    self.named_ports
                        .iter()
                        .map(|(name, p)| format!("{name} {}/{}", p.number, p.protocol))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if let Some(health) = &self.health_path {
            map.noted("healthPath", Node::Text(health.clone()), "from its compose healthcheck");
        }
        if let Some(command) = &self.command {
            map.noted("command", Node::List(command.clone()), "compose `entrypoint`");
        }
        if let Some(args) = &self.args {
            map.noted("args", Node::List(args.clone()), "compose `command`: it replaces the image's CMD");
        }
        if !self.env.is_empty() {
            let mut env = Map::default();
            for (name, value, note) in &self.env {
                match (name, note) {
                    (None, _) => env.comment(value),
                    (Some(name), Some(note)) => env.noted(name.clone(), Node::Text(value.clone()), note.clone()),
                    (Some(name), None) => env.entry(name.clone(), Node::Text(value.clone())),
                }
            }
            map.entry("env", Node::Map(env));
        }
        if !self.depends_on.is_empty() {
            map.entry("dependsOn", Node::List(self.depends_on.clone()));
        }
        if let Some(replicas) = self.replicas {
            map.entry("replicas", Node::Plain(replicas.to_string()));
        }
        if let Some(uid) = self.run_as_user {
            map.entry("runAsUser", Node::Plain(uid.to_string()));
        }
        map
    }
}

impl StoreDraft {
    /// The store's mapping.
    pub fn to_map(&self) -> Map {
        let mut map = Map::default();
        for comment in &self.comments {
            map.comment(comment);
        }
        let engine = match self.engine {
            Engine::Postgres => "postgres",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
        };
        map.entry("engine", Node::Text(engine.to_owned()));
        match &self.version {
            (Some(version), Some(note)) => {
                map.comment(note);
                map.entry("version", Node::Text(version.clone()));
            }
            (Some(version), None) => map.entry("version", Node::Text(version.clone())),
            (None, Some(note)) => map.comment(format!("version: the engine's default. {note}")),
            (None, None) => {}
        }
        map
    }
}
