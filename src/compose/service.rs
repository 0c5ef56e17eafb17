//! One compose service as a spec service or data store: what translates, and a note for
//! everything that does not.

use serde_json::{Map as JsonMap, Value};

use super::draft::{ServiceDraft, StoreDraft};
use super::env::{self, Entry};
use super::interpolate::{uses_variables, with_defaults};
use super::names::Names;
use super::ports::{self, Port};
use super::shell::split;
use super::stores::StoreImage;
use crate::spec::check::check_image;
use crate::spec::defaults::MAX_REPLICAS;
use crate::spec::types::Engine;

/// What every service is translated against.
pub struct Scope<'a> {
    /// Spec names of the services and stores being translated.
    pub names: &'a Names,
    /// The application family, for placeholder images.
    pub app: &'a str,
}

/// A compose service's `depends_on`, list or mapping form, as compose names.
pub fn depends_on(service: &JsonMap<String, Value>) -> Vec<String> {
    match service.get("depends_on") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The store a service's image runs, if any.
pub fn store_image(service: &JsonMap<String, Value>) -> Option<StoreImage> {
    let image = service.get("image")?.as_str()?;
    super::stores::recognise(&with_defaults(image)?)
}

/// A data store from a compose service whose image is an official store image.
pub fn store(name: &str, image: StoreImage, service: &JsonMap<String, Value>, notes: &mut Vec<String>) -> StoreDraft {
    for (key, value) in service {
        let note = match key.as_str() {
            "image" | "ports" | "expose" | "healthcheck" | "container_name" | "hostname" | "profiles" => None,
            "environment" => store_environment(image.engine, value),
            "volumes" => Some(store_volumes(value)),
            "command" | "entrypoint" => {
                Some(format!("`{key}` is not kept: kpreview runs the official image with its own settings"))
            }
            key if key.starts_with("x-") => None,
            _ => Some(unsupported(key, value)),
        };
        notes.extend(note);
    }
    StoreDraft {
        name: name.to_owned(),
        engine: image.engine,
        version: (image.version, image.note),
        comments: notes.clone(),
    }
}

fn store_environment(engine: Engine, value: &Value) -> Option<String> {
    let names: Vec<String> = env::parse(value).unwrap_or_default().into_iter().map(|(name, _)| name).collect();
    if names.is_empty() {
        return None;
    }
    let how = match engine {
        Engine::Postgres => "user and database `postgres`, no password",
        Engine::Redis => "no password",
        Engine::Mongodb => "no authentication",
    };
    Some(format!(
        "`environment` ({}) is not kept: the store runs with {how}, reachable only from its preview; services that \
         list it in `dependsOn` get its URL. A password comes from a Secret (`credentials`)",
        names.join(", ")
    ))
}

fn store_volumes(value: &Value) -> String {
    let seeds = volume_texts(value).iter().any(|v| v.contains("docker-entrypoint-initdb.d"));
    if seeds {
        "`volumes`: the data lives on the store's own `data` volume (`storage`, default 1Gi); init scripts mounted \
         into /docker-entrypoint-initdb.d are not: build an image with them and set `seed.image`"
            .to_owned()
    } else {
        "`volumes`: the data lives on the store's own `data` volume (`storage`, default 1Gi)".to_owned()
    }
}

/// A spec service from a compose service.
pub fn service(
    scope: &Scope<'_>,
    name: &str,
    service: &JsonMap<String, Value>,
    notes: &mut Vec<String>,
) -> ServiceDraft {
    let mut draft =
        ServiceDraft { name: name.to_owned(), image: image(scope, name, service), ..ServiceDraft::default() };
    let mut all_ports: Vec<(Port, bool)> = Vec::new();
    for (key, value) in service {
        match key.as_str() {
            "image" | "build" | "profiles" | "container_name" | "depends_on" | "links" => {}
            "ports" | "expose" => {
                for entry in value.as_array().into_iter().flatten() {
                    match ports::parse(entry) {
                        Ok(found) => all_ports.extend(found.into_iter().map(|p| (p, key == "ports"))),
                        Err(why) => notes.push(format!("`{key}`: {why}; left out")),
                    }
                }
            }
            "command" => draft.args = words(key, value, notes),
            "entrypoint" => draft.command = words(key, value, notes),
            "environment" => draft.env = environment(value, notes),
            "env_file" => notes.push(format!(
                "`env_file` ({}) is not read: put its values in `env` and its secrets in `secrets`",
                volume_texts(value).join(", ")
            )),
            "volumes" => notes.extend(volume_texts(value).iter().map(|v| volume(v))),
            "networks" => notes.push(
                "`networks` has no equivalent: every pod of a preview reaches the others by service name".to_owned(),
            ),
            "restart" => {
                notes.push("`restart` has no equivalent: Kubernetes restarts a container that exits".to_owned());
            }
            "deploy" => draft.replicas = replicas(value, notes),
            "user" => draft.run_as_user = user(value, notes),
            "healthcheck" => draft.health_path = health_path(value),
            key if key.starts_with("x-") => {}
            _ => notes.push(unsupported(key, value)),
        }
    }
    let mut seen = Vec::new();
    all_ports.retain(|(p, _)| {
        let new = !seen.contains(&(p.number, p.protocol));
        seen.push((p.number, p.protocol));
        new
    });
    if let Some(at) = all_ports.iter().position(|(p, _)| p.protocol == "TCP") {
        let (main, published) = all_ports.remove(at);
        draft.port = Some(main.number);
        draft.expose = published;
    }
    draft.named_ports = all_ports.into_iter().map(|(p, _)| (port_name(&p), p)).collect();
    if draft.port.is_none() {
        draft.health_path = None;
    }
    draft.depends_on = Vec::new();
    for dep in depends_on(service) {
        match scope.names.get(&dep) {
            Some(spec) => draft.depends_on.push(spec.to_owned()),
            None => notes.push(format!("`depends_on: {dep}` is left out: `{dep}` is not part of the preview")),
        }
    }
    derived_env(&mut draft);
    draft.comments.clone_from(notes);
    // What `env` leaves out is a comment there; it is a note on stderr too.
    notes.extend(draft.env.iter().filter(|(name, _, _)| name.is_none()).map(|(_, why, _)| why.clone()));
    draft
}

/// Variables `dependsOn` gives (`REDIS_URL` for `redis`) are the preview's values, not the
/// compose file's: the compose value becomes a comment.
fn derived_env(draft: &mut ServiceDraft) {
    const SUFFIXES: [&str; 5] = ["_URL", "_HOST", "_PORT", "_USER", "_PASSWORD"];
    for entry in &mut draft.env {
        let (Some(name), value) = (&entry.0, &entry.1) else { continue };
        let from = draft.depends_on.iter().find(|dep| {
            let base = crate::spec::check::upper_snake(dep);
            SUFFIXES.iter().any(|suffix| *name == format!("{base}{suffix}"))
        });
        if let Some(dep) = from {
            *entry =
                (None, format!("`{name}` comes from `dependsOn: [{dep}]` in a preview (Compose had `{value}`)"), None);
        }
    }
}

fn image(scope: &Scope<'_>, name: &str, service: &JsonMap<String, Value>) -> (String, Option<String>) {
    let written = service.get("image").and_then(Value::as_str);
    // Named after the image Compose pulls, when it names one (`${REGISTRY}/api:${TAG}` is `api`), so
    // services that share an image share the placeholder; else (a local build's tag is Compose's
    // own name) after the service.
    let pulled = written.filter(|_| !service.contains_key("build"));
    let repository = pulled.and_then(repository_name).unwrap_or_else(|| name.to_owned());
    let placeholder = format!("registry.example.com/{}/{repository}:{{{{ pr.headSha }}}}", scope.app);
    if service.contains_key("build") {
        let built = written.map(|w| format!(" (tagged `{w}` there)")).unwrap_or_default();
        return (
            placeholder,
            Some(format!(
                "Compose builds this image{built}; a preview pulls it: push it from CI, tagged with the commit, and \
                 name it here"
            )),
        );
    }
    let Some(written) = written else {
        return (placeholder, Some("Compose gives no image; name the one to run here".to_owned()));
    };
    match with_defaults(written) {
        Some(image) if check_image(&image).is_ok() => {
            let note = (image != written).then(|| format!("`{written}` with the defaults of its variables"));
            (image, note)
        }
        Some(_) | None => (
            placeholder,
            Some(format!("`{written}` is not an image reference without its variables; name the image here")),
        ),
    }
}

/// The last part of an image reference's repository, as a DNS label (`${REGISTRY}/api:${TAG}` is
/// `api`), when it holds no variable.
fn repository_name(image: &str) -> Option<String> {
    let last = image.split('@').next()?.rsplit('/').next()?;
    let repository = last.split(':').next()?;
    let label = super::names::label(repository);
    (!repository.contains('$') && !label.is_empty()).then_some(label)
}

fn words(key: &str, value: &Value, notes: &mut Vec<String>) -> Option<Vec<String>> {
    let words = match value {
        Value::String(text) => match split(text) {
            Ok(words) => words,
            Err(why) => {
                notes.push(format!("`{key}` is left out: it cannot be split into words: {why}"));
                return None;
            }
        },
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        Value::Null => return None,
        other => {
            notes.push(format!("`{key}` is left out: {other} is neither a string nor a list"));
            return None;
        }
    };
    if words.iter().any(|w| w.contains("{{") || w.contains("{%") || w.contains("{#")) {
        notes.push(format!("`{key}` is left out: it holds `{{{{`, which the spec would read as a template"));
        return None;
    }
    if words.iter().any(|w| uses_variables(w)) {
        notes.push(format!("`{key}` keeps `${{…}}` as text: Compose filled it in, Kubernetes will not"));
    }
    (!words.is_empty()).then_some(words)
}

fn environment(value: &Value, notes: &mut Vec<String>) -> Vec<(Option<String>, String, Option<String>)> {
    let entries = match env::parse(value) {
        Ok(entries) => entries,
        Err(why) => {
            notes.push(format!("`environment` is left out: {why}"));
            return Vec::new();
        }
    };
    let env: Vec<(Option<String>, String, Option<String>)> = entries
        .into_iter()
        .map(|(name, entry)| {
            if !crate::spec::check::is_env_name(&name) {
                return (None, format!("`{name}` is left out: not an environment variable name"), None);
            }
            match entry {
                Entry::Keep { value, interpolated: false } => (Some(name), value, None),
                Entry::Keep { value, interpolated: true } => {
                    (Some(name), value, Some("`${…}` kept as text: Kubernetes does not fill it in".to_owned()))
                }
                Entry::Secret(why) => (
                    None,
                    format!(
                        "`{name}` is left out: {why}. The spec is committed to git; give it from a Secret with \
                         `secrets`"
                    ),
                    None,
                ),
                Entry::FromShell => (
                    None,
                    format!("`{name}` is left out: Compose takes its value from the shell; give it a value here"),
                    None,
                ),
                Entry::Template => (
                    None,
                    format!("`{name}` is left out: its value holds `{{{{`, which the spec would read as a template"),
                    None,
                ),
            }
        })
        .collect();
    env
}

fn volume(text: &str) -> String {
    let source = text.split(':').next().unwrap_or(text);
    if text.contains(':') && source.starts_with(['.', '/', '~', '$']) {
        format!("bind mount `{text}` has no equivalent: a preview runs the files in its image")
    } else if text.contains(':') {
        format!("volume `{text}` has no equivalent: a service's files go with its pod; keep state in a data store")
    } else {
        format!("anonymous volume `{text}` has no equivalent (an emptyDir would be); left out")
    }
}

/// Each volume or file entry as text (`./src:/app`, or `source:target` of the long syntax).
fn volume_texts(value: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::Object(map) => {
            let part = |k: &str| map.get(k).map(scalar_text).unwrap_or_default();
            if map.contains_key("target") { format!("{}:{}", part("source"), part("target")) } else { part("path") }
        }
        other => scalar_text(other),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => vec![one(other)],
    }
}

fn replicas(deploy: &Value, notes: &mut Vec<String>) -> Option<u32> {
    let others: Vec<&String> =
        deploy.as_object().into_iter().flatten().map(|(k, _)| k).filter(|k| *k != "replicas").collect();
    if !others.is_empty() {
        notes.push(format!(
            "`deploy` ({}) is not kept: set `resources` and `replicas` in the spec",
            others.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let n = deploy.get("replicas")?.as_u64()?;
    let max = u64::from(MAX_REPLICAS);
    if n == 0 || n > max {
        notes.push(format!("`deploy.replicas: {n}` is left out: a preview runs 1 to {max} replicas"));
        return None;
    }
    u32::try_from(n).ok().filter(|n| *n != 1)
}

fn user(value: &Value, notes: &mut Vec<String>) -> Option<i64> {
    let text = scalar_text(value);
    let uid = text.split(':').next().unwrap_or(&text);
    match uid.parse::<i64>() {
        Ok(uid) if uid > 0 => Some(uid),
        Ok(_) => {
            notes.push(format!("`user: {text}` is left out: previews run as non-root"));
            None
        }
        Err(_) => {
            notes.push(format!("`user: {text}` is left out: `runAsUser` takes a numeric user id"));
            None
        }
    }
}

/// The path of an HTTP healthcheck against localhost (`curl -f http://localhost:8000/health`).
fn health_path(healthcheck: &Value) -> Option<String> {
    let test = match healthcheck.get("test")? {
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(" "),
        other => scalar_text(other),
    };
    let at = test.find("http://localhost:").or_else(|| test.find("http://127.0.0.1:"))?;
    let rest = &test[at + "http://".len()..];
    let path_at = rest.find('/')?;
    let path: String = rest[path_at..].chars().take_while(|c| !c.is_whitespace() && !"'\"|;&".contains(*c)).collect();
    (path.len() > 1 || path == "/").then_some(path)
}

fn port_name(port: &Port) -> String {
    let valid = |n: &str| {
        !n.is_empty()
            && n.len() <= 15
            && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && n.chars().any(|c| c.is_ascii_lowercase())
            && !n.starts_with('-')
            && !n.ends_with('-')
            && !n.contains("--")
    };
    match &port.name {
        Some(name) if valid(name) => name.clone(),
        _ => format!("{}-{}", port.protocol.to_ascii_lowercase(), port.number),
    }
}

fn unsupported(key: &str, value: &Value) -> String {
    let shown = match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => format!(": {}", scalar_text(value)),
        _ => String::new(),
    };
    format!("`{key}{shown}` has no equivalent in a preview spec; left out")
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
