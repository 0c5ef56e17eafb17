//! The function: a `ResourceList` in, the same list out with each selected `Preview` rendered.
//! Every input item passes through (kpt deletes the file of an item a function drops), each
//! spec is marked local config, and the files an earlier run generated from a spec are replaced
//! by this run's. Pure: the environment and files come in through [`Env`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::config::{self, FLAG_VARS, Selection, is_preview};
use super::list::{Item, Object, ResourceList, annotation, child, string_at};
use super::result::{File, KrmResult, ResourceRef, Severity};
use super::{locate, replace};
use crate::files::Files;
use crate::policy::{Policy, prepare};
use crate::render::render;
use crate::spec::defaults::{Inputs, PrEnv, PrFields, PrSources};
use crate::spec::problem::{self, Problem, Problems};
use crate::spec::types::{API_VERSION, KIND};
use crate::yaml::WriteError;

/// Marks every generated item with the spec it came from. Its value is the spec's path in the
/// package (or `Preview/<name>` for a spec from outside). A re-run replaces the items that carry
/// it *and* sit where kpreview writes (`<spec's directory>/<namespace>/NNN-<kind>-….yaml`), so a
/// generated file copied elsewhere to be tweaked is the user's and stays.
pub const GENERATED_BY: &str = "kpreview.dev/generated-by";
/// kpt and kustomize leave objects with this annotation out of what they apply.
pub const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
const PATH: &str = "config.kubernetes.io/path";
const INDEX: &str = "config.kubernetes.io/index";
const INTERNAL_PATH: &str = "internal.config.kubernetes.io/path";
const INTERNAL_INDEX: &str = "internal.config.kubernetes.io/index";

/// What the function may know of the world besides its input.
pub struct Env<'a> {
    /// `KPREVIEW_PR_NUMBER`, `KPREVIEW_HEAD_SHA`, `KPREVIEW_BRANCH`: flags where a mode has none
    /// (what `publish --overlay` passes), as for the kustomize plugin. They lose to the function
    /// config and win over the spec.
    pub flags: PrFields,
    /// `PREVIEW_PR_NUMBER`, `PREVIEW_HEAD_SHA`, `PREVIEW_BRANCH`: they lose to the spec.
    pub pr_env: PrEnv,
    /// The working directory, absolute: what a package path without a package is taken from.
    pub cwd: PathBuf,
    /// The file system, read by absolute path: the lock beside a spec, a spec to recognise.
    pub files: &'a dyn Files,
    /// `KPREVIEW_IMAGE`: the platform's kpreview image for restore and cleanup Jobs.
    pub image: Option<String>,
    /// The platform's policy (`KPREVIEW_POLICY`). Never from the function config: that is the
    /// package's, and the package is the pull request's.
    pub policy: Policy,
}

/// One spec to render.
struct Spec<'a> {
    object: &'a Object,
    /// The spec in the style it was written, when known (so `expose: yes` reads as the CLI reads it).
    source: Option<String>,
}

/// Runs the function.
pub fn process(mut list: ResourceList, env: &Env<'_>) -> ResourceList {
    let (generated, replaced, mut results) = {
        let config = match config::read(list.function_config.as_ref()) {
            Ok(config) => config,
            Err(results) => {
                list.results = results;
                return list;
            }
        };
        let specs = select(&list, &config.selection);
        let mut results = Vec::new();
        if specs.is_empty() {
            results.push(KrmResult::new(
                Severity::Error,
                "no Preview to render: put a kpreview.dev/v1alpha1 Preview in the package or pass one as the \
                 function config (kpt `configPath`, `--fn-config`)",
            ));
        }
        let mut generated = Vec::new();
        let mut replaced = BTreeMap::new();
        let mut namespaces: BTreeMap<String, String> = BTreeMap::new();
        for spec in &specs {
            let outcome = render_spec(spec, &config.pr, env);
            let key = spec_key(spec.object);
            if let Some(namespace) = &outcome.namespace
                && let Some(other) = namespaces.insert(namespace.clone(), key.clone())
            {
                results.push(spec_result(
                    spec.object,
                    Severity::Error,
                    format!("renders namespace {namespace}, as {other} does: give each spec its own namespace"),
                ));
            }
            results.extend(outcome.results);
            if let Some(items) = outcome.items {
                generated.extend(items);
                replaced.insert(key, parent(&file_path(spec.object).unwrap_or_default()));
            }
        }
        (generated, replaced, results)
    };
    // Every spec in the package is local config, rendered this run or not: none is ever applied.
    for item in list.items.iter_mut().filter(|item| is_preview(item.object())) {
        if let Err(e) = mark_local_config(item) {
            results.push(KrmResult::new(Severity::Error, e.to_string()));
        }
    }
    let written: BTreeSet<String> = generated.iter().filter_map(|i| file_path(i.object())).collect();
    let mut removed = Vec::new();
    let first = results.len();
    list.items.retain(|item| replace::keep(item.object(), &replaced, &written, &mut removed, &mut results));
    list.items.extend(generated);
    let paths: Vec<String> = list.items.iter().filter_map(|item| file_path(item.object())).collect();
    // Before the files: kpt shows the first few results only, and one line per file buries them.
    let emptied = replace::emptied(&removed, paths.iter().map(String::as_str));
    results.splice(first..first, emptied);
    list.results = results;
    list
}

/// The specs the config selects: the config's own `Preview` (the item it also is, when kpt sent
/// it both ways), or every `Preview` item.
fn select<'a>(list: &'a ResourceList, selection: &Selection<'a>) -> Vec<Spec<'a>> {
    let items = list.items.iter().filter(|item| is_preview(item.object()));
    match selection {
        Selection::All => items.map(|item| Spec { object: item.object(), source: item.source() }).collect(),
        Selection::Preview(config) => {
            let same = items.into_iter().find(|item| same_spec(config, item.object()));
            vec![match same {
                Some(item) => Spec { object: item.object(), source: item.source() },
                None => Spec { object: config, source: None },
            }]
        }
    }
}

/// Whether the function config and an item are the same spec: kpt passes `configPath` and an
/// in-package `--fn-config` both as the config and as an item.
fn same_spec(config: &Object, item: &Object) -> bool {
    let name = |o: &Object| o.get("metadata").and_then(|m| m.get("name")).cloned();
    if name(config) != name(item) {
        return false;
    }
    match (file_path(config), file_path(item)) {
        (Some(a), Some(b)) => a == b,
        _ => config.get("spec") == item.get("spec"),
    }
}

/// What rendering one spec gave.
struct Outcome {
    /// The generated items, when it rendered.
    items: Option<Vec<Item>>,
    /// The preview's namespace, when it rendered.
    namespace: Option<String>,
    results: Vec<KrmResult>,
}

fn render_spec(spec: &Spec<'_>, pr: &PrFields, env: &Env<'_>) -> Outcome {
    let failed = |results| Outcome { items: None, namespace: None, results };
    let text = match spec.source.clone().map_or_else(|| crate::yaml::to_string(spec.object), Ok) {
        Ok(text) => text,
        Err(e) => return failed(vec![spec_result(spec.object, Severity::Error, e.to_string())]),
    };
    let path = file_path(spec.object);
    let search = match locate::lock_of(spec.object, env) {
        Ok(found) => found,
        Err(e) => return failed(vec![spec_result(spec.object, Severity::Error, e.to_string())]),
    };
    let inputs = Inputs {
        flags: PrFields {
            number: pr.number.or(env.flags.number),
            head_sha: pr.head_sha.clone().or_else(|| env.flags.head_sha.clone()),
            branch: pr.branch.clone().or_else(|| env.flags.branch.clone()),
        },
        env: env.pr_env.clone(),
        sources: sources(),
        image: env.image.clone(),
    };
    let file = path.clone().unwrap_or_else(|| "the function config".to_owned());
    let model = match prepare(&text, &file, &inputs, search.lock(), &env.policy) {
        Ok(model) => model,
        Err(problems) => {
            return failed(problem_results(
                spec.object,
                &locate::about_lock(relocated(problems), &search.explain()).list,
            ));
        }
    };
    let mut results = problem_results(spec.object, &model.warnings);
    let manifests = render(&model);
    let dir = join(&parent(path.as_deref().unwrap_or("")), &model.namespace);
    let key = spec_key(spec.object);
    let names = manifests.file_names();
    let mut items = Vec::with_capacity(manifests.objects.len());
    // Each typed object goes as its item is made, and each item is written as text at once, so
    // neither the render nor the items are held whole as values: fn's peak stays near render's.
    for (object, name) in manifests.objects.into_iter().zip(names) {
        let Ok(Value::Object(mut value)) = serde_json::to_value(&object.resource) else {
            let message = format!("cannot write {} {}", object.resource.kind(), object.resource.name());
            return failed(vec![spec_result(spec.object, Severity::Error, message)]);
        };
        let file = join(&dir, &name);
        let annotations = annotations_mut(&mut value);
        for (key, value) in [(PATH, &file), (INTERNAL_PATH, &file), (GENERATED_BY, &key)] {
            annotations.insert(key.to_owned(), Value::from(value.as_str()));
        }
        for key in [INDEX, INTERNAL_INDEX] {
            annotations.insert(key.to_owned(), Value::from("0"));
        }
        match Item::generated(value) {
            Ok(item) => items.push(item),
            Err(e) => return failed(vec![spec_result(spec.object, Severity::Error, e.to_string())]),
        }
    }
    results.push(spec_result(
        spec.object,
        Severity::Info,
        format!("rendered {} objects of preview {} into {dir}/", items.len(), model.namespace),
    ));
    Outcome { items: Some(items), namespace: Some(model.namespace), results }
}

/// Problems as results, at their field paths.
fn problem_results(spec: &Object, problems: &[Problem]) -> Vec<KrmResult> {
    problems
        .iter()
        .map(|p| {
            let severity = match p.severity {
                problem::Severity::Error => Severity::Error,
                problem::Severity::Warning => Severity::Warning,
            };
            spec_result(spec, severity, p.message.clone()).at(&p.path)
        })
        .collect()
}

/// The same problems without line and column: the spec's text here is not the user's file
/// (kpt and kustomize add annotations and re-indent it), so its lines would mislead.
pub fn relocated(mut problems: Problems) -> Problems {
    for p in &mut problems.list {
        if let Some(start) = p.message.rfind(" (line ")
            && p.message.ends_with(')')
            && p.message[start..].contains(", column ")
        {
            p.message.truncate(start);
        }
    }
    problems
}

/// A result about a spec, with its reference and file.
fn spec_result(spec: &Object, severity: Severity, message: impl Into<String>) -> KrmResult {
    let mut result = KrmResult::new(severity, message);
    result.resource_ref = Some(ResourceRef {
        api_version: Some(string_at(spec, "apiVersion")).filter(|v| !v.is_empty()).unwrap_or(API_VERSION.to_owned()),
        kind: KIND.to_owned(),
        name: name(spec),
        namespace: None,
    });
    result.file = file_path(spec).map(|path| File {
        path,
        index: annotation(spec, INTERNAL_INDEX)
            .or_else(|| annotation(spec, INDEX))
            .and_then(|i| i.parse().ok())
            .unwrap_or(0),
    });
    result
}

/// The value of [`GENERATED_BY`] for a spec's items.
fn spec_key(spec: &Object) -> String {
    file_path(spec).unwrap_or_else(|| format!("{KIND}/{}", name(spec)))
}

pub(super) fn name(spec: &Object) -> String {
    spec.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// How the function names the places of pull-request fields: the function config's keys and the
/// `KPREVIEW_*` flags, over the spec, over `PREVIEW_*`.
fn sources() -> PrSources {
    let over = [0, 1, 2].map(|i| {
        let key = config::KEYS[i];
        format!("the function config's `{key}` (`kpt fn eval … -- {key}=…`), `{}`", FLAG_VARS[i])
    });
    PrSources::new(over)
}

/// The item's path in the package (`config.kubernetes.io/path`).
pub(super) fn file_path(object: &Object) -> Option<String> {
    annotation(object, INTERNAL_PATH).or_else(|| annotation(object, PATH)).map(str::to_owned)
}

fn annotations_mut(object: &mut Object) -> &mut Object {
    child(child(object, "metadata"), "annotations")
}

fn mark_local_config(item: &mut Item) -> Result<(), WriteError> {
    if annotation(item.object(), LOCAL_CONFIG) == Some("true") { Ok(()) } else { item.annotate(LOCAL_CONFIG, "true") }
}

/// The directory part of a package path (`apps/shop` of `apps/shop/preview.yaml`).
pub(super) fn parent(path: &str) -> String {
    path.rsplit_once('/').map(|(dir, _)| dir.to_owned()).unwrap_or_default()
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}
