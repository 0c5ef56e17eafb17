//! Resolution of `dependsOn`: each name becomes a preview service, a data store, a service in
//! another pull request's preview, a fixed URL or staging, and the environment variables a
//! service gets from its dependencies.

use std::collections::{BTreeMap, BTreeSet};

use super::check::upper_snake;
use super::model::{Dependency, EnvValue, EnvVar, Link, Store, Target};
use super::problem::{did_you_mean, key_path};
use super::types::{PreviewSpec, ServiceSpec};
use super::validate::Ctx;
use crate::k8s::naming::{MAX_LABEL, fit, is_dns1035_label};
use crate::template::PrVars;

/// Where names that are not services or stores go.
pub(crate) struct External {
    /// `spec.dependencies` entries, resolved to a target and a URL.
    pub declared: BTreeMap<String, (Target, String)>,
    /// The staging URL template for everything else.
    pub staging_url: String,
}

/// Resolves `spec.dependencies`.
pub(crate) fn external(ctx: &mut Ctx<'_>, spec: &PreviewSpec, own_pr: u64) -> External {
    let mut declared = BTreeMap::new();
    for (name, dep) in &spec.dependencies {
        let path = key_path("spec.dependencies", name);
        if !is_dns1035_label(name) {
            ctx.problems.error(&path, format!("`{name}` is not a service name (a DNS-1035 label)"));
            continue;
        }
        if spec.services.contains_key(name) || spec.data_stores.contains_key(name) {
            ctx.problems.error(&path, format!("`{name}` runs in this preview; remove it from dependencies"));
            continue;
        }
        if dep.preview.invalid().is_some() {
            continue;
        }
        if let Some(app) = &dep.app {
            ctx.label(&format!("{path}.app"), app);
            if dep.preview.is_absent() {
                ctx.problems.error(format!("{path}.app"), "`app` names whose preview runs it: give `preview` too");
                continue;
            }
        }
        let resolved = match (dep.preview.get(), &dep.url) {
            (Some(pr), None) => other_preview(ctx, &path, name, pr, own_pr, dep.app.as_deref()),
            (None, Some(url)) => ctx.template(&format!("{path}.url"), url).and_then(|url| {
                if url.contains("://") && !url.chars().any(char::is_whitespace) {
                    Some((Target::Url, url))
                } else {
                    ctx.problems.error(
                        format!("{path}.url"),
                        format!("`{url}` is not a URL such as `https://payments.example.com`"),
                    );
                    None
                }
            }),
            _ => {
                ctx.problems.error(&path, "set exactly one of `preview` (a pull request number) and `url`");
                None
            }
        };
        if let Some(resolved) = resolved {
            declared.insert(name.clone(), resolved);
        }
    }
    let staging_url = spec.staging.as_ref().and_then(|s| s.url.clone()).unwrap_or_default();
    External { declared, staging_url }
}

/// `dependencies.X.preview: N`: the Service `X` in the namespace the namespace template gives
/// pull request N, reached in-cluster on port 80 like every preview Service. Never through the
/// staging URL template, which may point outside the cluster.
///
/// With `app` (another application family), the namespace is the one the same template gives
/// that app: the namespace template is the platform's (the policy imposes it on every spec), so
/// it names every app's previews alike.
fn other_preview(
    ctx: &mut Ctx<'_>,
    path: &str,
    name: &str,
    pr: u64,
    own_pr: u64,
    app: Option<&str>,
) -> Option<(Target, String)> {
    let other_app = app.filter(|a| *a != ctx.vars.name);
    if pr == 0 || (pr == own_pr && other_app.is_none()) {
        ctx.problems.error(format!("{path}.preview"), format!("`{pr}` is not another pull request"));
        return None;
    }
    let namespace = match other_app {
        Some(app) => {
            let vars = crate::template::Vars { name: app.to_owned(), ..ctx.vars.clone() };
            let pr = PrVars { number: pr, ..PrVars::default() };
            let vars = crate::template::Vars { namespace: None, pr, service: None, ..vars };
            ctx.templates.render(&ctx.namespace_template, &vars).map(|ns| fit(&ns, MAX_LABEL))
        }
        None => ctx.namespace_for(PrVars { number: pr, ..PrVars::default() }),
    };
    match namespace {
        Ok(namespace) => {
            let url = format!("http://{name}.{namespace}.svc.cluster.local");
            Some((Target::OtherPreview { app: other_app.map(str::to_owned), pr, namespace }, url))
        }
        Err(e) => {
            ctx.problems
                .error(format!("{path}.preview"), format!("the namespace of pull request {pr} cannot be known: {e}"));
            None
        }
    }
}

/// Resolves one service's `dependsOn`, in the order written.
pub(crate) fn resolve(
    ctx: &mut Ctx<'_>,
    path: &str,
    written: &ServiceSpec,
    spec: &PreviewSpec,
    stores: &[Store],
    external: &External,
) -> Vec<Dependency> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, dep) in written.depends_on.iter().enumerate() {
        let at = format!("{path}.dependsOn[{i}]");
        if !is_dns1035_label(dep) {
            ctx.problems.error(&at, format!("`{dep}` is not a service name (a DNS-1035 label)"));
            continue;
        }
        if !seen.insert(dep.as_str()) {
            ctx.problems.warning(&at, format!("`{dep}` is listed twice"));
            continue;
        }
        let env = format!("{}_URL", upper_snake(dep));
        let resolved = if let Some(target) = spec.services.get(dep) {
            if target.port.is_absent() {
                ctx.problems.warning(&at, format!("`{dep}` has no port: it orders the rollout but gets no `{env}`"));
                out.push(Dependency { name: dep.clone(), target: Target::Service, url: None });
                continue;
            }
            Some((Target::Service, format!("http://{dep}")))
        } else if let Some(store) = stores.iter().find(|s| &s.name == dep) {
            let password = store.credentials.as_ref().map(|_| format!("{}_PASSWORD", upper_snake(dep)));
            Some((Target::Store { engine: store.engine }, store.engine.url(dep, password.as_deref())))
        } else if spec.data_stores.contains_key(dep) {
            None
        } else if let Some(declared) = external.declared.get(dep) {
            Some(declared.clone())
        } else if spec.dependencies.contains_key(dep) {
            None
        } else {
            near_miss(ctx, &at, dep, spec);
            staging_url(ctx, &external.staging_url, dep).map(|url| (Target::Staging, url))
        };
        if let Some((target, url)) = resolved {
            out.push(Dependency { name: dep.clone(), target, url: Some(Link { env, url }) });
        }
    }
    out
}

/// A staging-bound name that is one or two edits from a name of this preview is probably a typo.
fn near_miss(ctx: &mut Ctx<'_>, at: &str, dep: &str, spec: &PreviewSpec) {
    let local = spec.services.keys().chain(spec.data_stores.keys()).chain(spec.dependencies.keys());
    let close = local.filter(|name| strsim::damerau_levenshtein(dep, name) <= 2).map(String::as_str);
    if let Some(guess) = did_you_mean(dep, close) {
        ctx.problems
            .warning(at, format!("`{dep}` is not part of this preview and goes to staging; did you mean `{guess}`?"));
    }
}

fn staging_url(ctx: &mut Ctx<'_>, template: &str, service: &str) -> Option<String> {
    let mut vars = ctx.vars.clone();
    vars.service = Some(service.to_owned());
    match ctx.templates.render(template, &vars) {
        Ok(url) => Some(url),
        Err(e) => {
            ctx.problems.error("spec.staging.url", e.to_string());
            None
        }
    }
}

/// What the dependencies give a service's container, in the order of `dependsOn`: for a data
/// store `<NAME>_HOST`, `_PORT`, `_USER` (when the engine has one), `_PASSWORD` (a `secretKeyRef`,
/// with credentials) and `_URL`, which may reference the password as `$(<NAME>_PASSWORD)`; for
/// anything else `<NAME>_URL` alone.
pub(crate) fn derived_env(deps: &[Dependency], stores: &[Store]) -> Vec<EnvVar> {
    let literal = |name: String, value: String| EnvVar { name, value: EnvValue::Literal(value) };
    let mut env = Vec::new();
    for dep in deps {
        let Some(link) = &dep.url else { continue };
        if let Some(store) = stores.iter().find(|s| s.name == dep.name && matches!(dep.target, Target::Store { .. })) {
            let prefix = upper_snake(&dep.name);
            env.push(literal(format!("{prefix}_HOST"), dep.name.clone()));
            env.push(literal(format!("{prefix}_PORT"), store.engine.port().to_string()));
            if let Some(user) = store.engine.user(store.credentials.is_some()) {
                env.push(literal(format!("{prefix}_USER"), user.to_owned()));
            }
            if let Some(secret) = &store.credentials {
                env.push(EnvVar { name: format!("{prefix}_PASSWORD"), value: EnvValue::Secret(secret.clone()) });
            }
        }
        env.push(literal(link.env.clone(), link.url.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use crate::spec::defaults::{Inputs, PrFields};
    use crate::spec::model::{EnvValue, Model, Target};
    use crate::spec::prepare::prepare;

    fn model(spec: &str) -> Model {
        let text = format!("apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {{name: app}}\nspec:\n{spec}");
        let pr = Inputs { flags: PrFields { number: Some(3), ..PrFields::default() }, ..Inputs::default() };
        prepare(&text, "t.yaml", &pr, None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn env(model: &Model, service: &str) -> Vec<(String, String)> {
        model
            .service(service)
            .unwrap()
            .env
            .iter()
            .map(|v| match &v.value {
                EnvValue::Literal(text) => (v.name.clone(), text.clone()),
                EnvValue::Secret(s) => (v.name.clone(), format!("secret {}/{}", s.name, s.key)),
                EnvValue::ConfigMap(c) => (v.name.clone(), format!("configMap {}/{}", c.name, c.key)),
            })
            .collect()
    }

    #[test]
    fn another_preview_is_reached_in_cluster_whatever_the_staging_url() {
        let m = model(
            "  staging: {url: 'https://{{ service }}.staging.example.com'}\n  namespace: 'team-{{ pr.number }}'\n  services:\n    api: {image: a, dependsOn: [catalog]}\n  dependencies:\n    catalog: {preview: 456}\n",
        );
        let dep = &m.service("api").unwrap().depends_on[0];
        assert_eq!(dep.target, Target::OtherPreview { app: None, pr: 456, namespace: "team-456".into() });
        assert_eq!(dep.url.as_ref().unwrap().url, "http://catalog.team-456.svc.cluster.local");
    }

    #[test]
    fn a_service_without_a_port_orders_the_rollout_but_gets_no_url() {
        let m = model("  services:\n    api: {image: a, dependsOn: [worker]}\n    worker: {image: w}\n");
        let dep = &m.service("api").unwrap().depends_on[0];
        assert_eq!((dep.target.clone(), dep.url.clone()), (Target::Service, None));
        assert!(env(&m, "api").is_empty(), "{:?}", env(&m, "api"));
        assert_eq!(m.service("api").unwrap().depth, 1);
        assert!(m.warnings.iter().any(|w| w.to_string().contains("gets no `WORKER_URL`")));
    }

    #[test]
    fn a_store_gives_host_port_user_password_and_url() {
        let m = model(
            "  services:\n    api: {image: a, dependsOn: [db, cache, docs]}\n  dataStores:\n    db: {engine: postgres, credentials: {secretName: pg}}\n    cache: {engine: redis}\n    docs: {engine: mongodb}\n",
        );
        let names: Vec<(String, String)> = env(&m, "api");
        let expected = [
            ("DB_HOST", "db"),
            ("DB_PORT", "5432"),
            ("DB_USER", "postgres"),
            ("DB_PASSWORD", "secret pg/password"),
            ("DB_URL", "postgresql://postgres:$(DB_PASSWORD)@db:5432/postgres"),
            ("CACHE_HOST", "cache"),
            ("CACHE_PORT", "6379"),
            ("CACHE_URL", "redis://cache:6379/0"),
            ("DOCS_HOST", "docs"),
            ("DOCS_PORT", "27017"),
            ("DOCS_URL", "mongodb://docs:27017/"),
        ];
        let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn another_app_s_preview_is_where_the_platform_s_template_puts_it() {
        let m = model(
            "  namespace: 'team-{{ name }}-{{ pr.number }}'\n  services:\n    api: {image: a, dependsOn: [auth, own]}\n  dependencies:\n    auth: {preview: 3, app: accounts}\n    own: {preview: 4, app: app}\n",
        );
        let deps = &m.service("api").unwrap().depends_on;
        assert_eq!(
            deps[0].target,
            Target::OtherPreview { app: Some("accounts".into()), pr: 3, namespace: "team-accounts-3".into() }
        );
        assert_eq!(deps[1].target, Target::OtherPreview { app: None, pr: 4, namespace: "team-app-4".into() });
    }

    #[test]
    fn templates_see_public_and_internal_urls_from_the_routes_own_names() {
        let long = "a-service-name-long-enough-to-need-shortening";
        let alias = long.replace('-', "_");
        let m = model(&format!(
            "  domain: preview.example.com\n  ingress: {{tls: {{secretName: wild}}}}\n  services:\n    {long}: {{image: a, port: 80, expose: true}}\n    web:\n      image: w\n      env: {{API: '{{{{ services.{alias}.url }}}}', IN: '{{{{ services.{alias}.internalUrl }}}}', D: '{{{{ domain }}}}'}}\n"
        ));
        let host = m.service(long).unwrap().host.clone().unwrap();
        assert!(host.split('.').next().unwrap().len() <= 63, "{host}");
        let env = env(&m, "web");
        assert!(env.contains(&("API".into(), format!("https://{host}"))), "{env:?}");
        assert!(env.contains(&("IN".into(), format!("http://{long}"))), "{env:?}");
        assert!(env.contains(&("D".into(), "preview.example.com".into())), "{env:?}");
    }
}
