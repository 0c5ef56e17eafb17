//! A compose file as a commented spec: the file's shape checked, services in profiles skipped,
//! names made valid, dependency cycles broken, and every service and store drafted.

use std::collections::BTreeMap;

use serde_json::Value;

use super::draft::{ServiceDraft, StoreDraft};
use super::emit::{Map, Node};
use super::error::InitError;
use super::names::{Names, label};
use super::service::{Scope, service, store, store_image};
use super::{Init, Options};
use crate::k8s::naming::fit;
use crate::spec::graph::depths;
use crate::spec::problem::Seg;

/// The longest application name `init` picks, so that `<name>-pr-<number>` reads well.
const MAX_APP: usize = 40;

/// The spec for a compose file already read; `file` names it in messages and comments.
pub fn translate(compose: &Value, file: &str, options: &Options) -> Result<Init, InitError> {
    let shape = |path: &str, message: &str| InitError::Shape {
        file: file.to_owned(),
        path: path.to_owned(),
        message: message.to_owned(),
    };
    let root = compose.as_object().ok_or_else(|| shape("", "expected a mapping with `services:`"))?;
    let services = match root.get("services") {
        Some(Value::Object(services)) => services,
        Some(_) => return Err(shape("services", "expected a mapping of services by name")),
        None => {
            return Err(shape("", "no `services:`; kpreview reads the Compose Specification (version 2 and 3 files)"));
        }
    };
    let mut notes = Vec::new();
    for (key, value) in root {
        let note = match key.as_str() {
            "services" | "version" | "name" => None,
            "volumes" => {
                Some("named volumes have no equivalent: a data store keeps its data on its own volume".to_owned())
            }
            "networks" => Some("networks have no equivalent: a preview is one namespace".to_owned()),
            "secrets" | "configs" => Some(format!("top-level `{key}` are not read: give secrets through `secrets`")),
            "include" => Some(format!("`include` is not followed: run `kpreview init` on each file ({value})")),
            key if key.starts_with("x-") => None,
            key => Some(format!("`{key}` has no equivalent in a preview spec; left out")),
        };
        notes.extend(note.map(|n| (key.clone(), n)));
    }

    let mut included = Vec::new();
    for (name, value) in services {
        let Some(service) = value.as_object() else {
            return Err(shape(&format!("services.{name}"), "expected a mapping of the service's settings"));
        };
        let profiles: Vec<&str> =
            service.get("profiles").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        if !profiles.is_empty() && !profiles.iter().any(|p| options.profiles.iter().any(|o| o == p)) {
            notes.push((
                format!("services.{name}"),
                format!("skipped: only in profile {} (`--profile {}` includes it)", profiles.join(", "), profiles[0]),
            ));
            continue;
        }
        included.push((name.as_str(), service, store_image(service)));
    }
    if included.is_empty() {
        return Err(shape(
            "services",
            "no service to translate (every one is in a profile not asked for; see --profile)",
        ));
    }

    let given = options
        .name
        .clone()
        .or_else(|| root.get("name").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| options.directory.clone());
    let app =
        given.as_deref().map_or_else(|| "app".to_owned(), |n| fit(&label(n), MAX_APP).trim_end_matches('-').to_owned());
    if let Some(given) = given.filter(|n| *n != app) {
        notes.push(("metadata.name".to_owned(), format!("`{given}` is `{app}` here: the app's name is a DNS label")));
    }
    let mut names = Names::default();
    for (name, _, store) in &included {
        names.add(name, store.is_some());
    }
    let scope = Scope { names: &names, app: &app };
    let mut drafts = Vec::new();
    let mut stores = Vec::new();
    for (name, service_map, store_kind) in included {
        let spec_name = names.get(name).unwrap_or(name).to_owned();
        let mut own = Vec::new();
        if spec_name != name {
            own.push(format!("named `{spec_name}` here: spec names are DNS labels"));
        }
        match store_kind {
            Some(image) => stores.push(store(&spec_name, image, service_map, &mut own)),
            None => drafts.push(service(&scope, &spec_name, service_map, &mut own)),
        }
        let path = format!("services.{name}");
        notes.extend(own.into_iter().map(|n| (path.clone(), n)));
    }
    break_cycles(&mut drafts, &mut notes);
    internal_urls(&mut drafts, &names, &mut notes);

    let text = document(file, options.output(), &app, &drafts, &stores);
    Ok(Init { text, notes: notes.into_iter().map(|(path, note)| format!("{path}: {note}")).collect() })
}

/// Rewrites `http://` URLs in `env` that reach another service the way Compose does (its compose
/// name and container port, `http://api:8000/v1`) to the way a preview does: that service's
/// Service on port 80, `{{ services.api.internalUrl }}/v1`. A URL that already works (port 80 of
/// a service whose name did not change) stays as written.
fn internal_urls(drafts: &mut [ServiceDraft], names: &Names, notes: &mut Vec<(String, String)>) {
    let ports: BTreeMap<String, u16> = drafts.iter().filter_map(|d| Some((d.name.clone(), d.port?))).collect();
    for draft in drafts.iter_mut() {
        for (variable, value, comment) in &mut draft.env {
            let Some(variable) = variable.as_deref() else { continue };
            let Some(rest) = value.strip_prefix("http://") else { continue };
            let (authority, path) = rest.find(['/', '?', '#']).map_or((rest, ""), |at| rest.split_at(at));
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, port.parse::<u16>().ok()),
                None => (authority, Some(80)),
            };
            let Some(target) = names.get(host).or_else(|| ports.contains_key(host).then_some(host)) else { continue };
            let Some(&listens) = ports.get(target) else { continue };
            let renamed = target != host;
            if port != Some(listens) || (!renamed && port == Some(80) && !authority.contains(':')) {
                continue;
            }
            let why = if listens == 80 {
                format!("`{host}` is `{target}` in a preview")
            } else {
                format!("a preview reaches `{target}` on port 80 of its Service, not at container port {listens}")
            };
            let note =
                format!("`{variable}`: {why}; `{value}` is written as `{{{{ services.{target}.internalUrl }}}}`");
            *value = format!("{{{{ services.{target}.internalUrl }}}}{path}");
            comment.get_or_insert_with(|| note.clone());
            notes.push((format!("services.{}", names.compose(&draft.name).unwrap_or(&draft.name)), note));
        }
    }
}

/// Removes `dependsOn` entries until the services form no cycle, which Compose refuses too but
/// a spec must not have; each removal is a note.
fn break_cycles(drafts: &mut [ServiceDraft], notes: &mut Vec<(String, String)>) {
    loop {
        let edges: BTreeMap<&str, Vec<&str>> =
            drafts.iter().map(|d| (d.name.as_str(), d.depends_on.iter().map(String::as_str).collect())).collect();
        let Err(cycle) = depths(&edges) else { return };
        let (Some(from), Some(to)) = (cycle.0.first().cloned(), cycle.0.get(1).cloned()) else { return };
        let Some(draft) = drafts.iter_mut().find(|d| d.name == from) else { return };
        draft.depends_on.retain(|d| *d != to);
        let message = format!("`dependsOn: {to}` is left out: it closes the dependency cycle {cycle}");
        draft.comments.push(message.clone());
        notes.push((format!("services.{from}"), message));
    }
}

fn document(file: &str, output: &str, app: &str, drafts: &[ServiceDraft], stores: &[StoreDraft]) -> String {
    let ports_field =
        crate::spec::load::known_fields(&[Seg::Key("spec".into()), Seg::Key("services".into()), Seg::Key("x".into())])
            .iter()
            .any(|f| f == "ports");
    let mut root = Map::default();
    root.comment(format!(
        "Made by `kpreview init --from {file}`. Read every comment, then:\n  kpreview validate {output}\n  kpreview render {output} --pr 1 --sha $(git rev-parse HEAD)\nEvery field is in docs/reference.md of kpreview (or `kpreview schema`)."
    ));
    root.entry("apiVersion", Node::Text(crate::spec::types::API_VERSION.to_owned()));
    root.entry("kind", Node::Text(crate::spec::types::KIND.to_owned()));
    let mut metadata = Map::default();
    metadata.noted("name", Node::Text(app.to_owned()), "the application; previews are <name>-pr-<number>");
    root.entry("metadata", Node::Map(metadata));
    let mut spec = Map::default();
    if drafts.iter().any(|d| d.expose) {
        spec.comment(
            "Exposed services are reached at <service>-<namespace>.<domain>: point a wildcard DNS record \
             for the domain at the cluster's ingress controller.",
        );
        spec.entry("domain", Node::Text("preview.example.com".to_owned()));
    }
    if !drafts.is_empty() {
        let mut services = Map::default();
        for draft in drafts {
            services.entry(draft.name.clone(), Node::Map(draft.to_map(ports_field)));
        }
        spec.entry("services", Node::Map(services));
    }
    if !stores.is_empty() {
        let mut data = Map::default();
        for store in stores {
            data.entry(store.name.clone(), Node::Map(store.to_map()));
        }
        spec.entry("dataStores", Node::Map(data));
    }
    root.entry("spec", Node::Map(spec));
    root.write()
}
