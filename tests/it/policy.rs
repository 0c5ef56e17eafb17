//! The trust boundary (SPEC §7): what protects the cluster comes from the platform's
//! `PreviewPolicy`, never from the spec a pull request writes. Each attack of issue 17 is
//! reproduced here through the binary, in every way in that could carry it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::gitops::fixture::World;
use crate::support::{describe, kpreview, kpreview_path, run_with_stdin, tempdir, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

const POLICY: &str = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\n\
namespace: \"preview-{{ name }}-{{ pr.number }}\"\n\
platform: {velero: velero, staging: staging, ingressController: ingress-nginx}\n\
limits: {services: 4, replicas: 2, cpu: \"1\", memory: 4Gi, storage: 20Gi}\n\
images: [registry.example.com/, docker.io/library/]\n\
ingressAnnotations: [nginx.ingress.kubernetes.io/proxy-body-size]\n\
seedBases: {shop: [preview-base]}\n";

fn spec(body: &str) -> String {
    format!("apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {{name: shop}}\nspec:\n{body}")
}

const API: &str = "  services:\n    api: {image: registry.example.com/shop/api:1, port: 8000, expose: true}\n  domain: preview.example.com\n";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `kpreview render` of `text` in a fresh directory, with `args` after the spec.
fn render(text: &str, args: &[&str], policy: Option<&str>) -> Output {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", text);
    let mut cmd = kpreview();
    cmd.current_dir(dir.path()).args(["render", "preview.yaml"]).args(args).env_remove("KPREVIEW_POLICY");
    if let Some(policy) = policy {
        write(dir.path(), "policy.yaml", policy);
        cmd.args(["--policy", "policy.yaml"]);
    }
    cmd.output().expect("run kpreview")
}

fn refused(output: &Output, expected: &[&str]) {
    assert_eq!(output.status.code(), Some(1), "{}", describe(output));
    assert!(output.stdout.is_empty(), "a refused render printed manifests: {}", describe(output));
    let stderr = stderr(output);
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in\n{stderr}");
    }
}

fn objects(output: &Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", describe(output));
    kpreview::yaml::values_from_stream(&String::from_utf8_lossy(&output.stdout)).expect("a YAML stream")
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn a_branch_cannot_name_the_namespace() {
    let text = spec(&format!("  namespace: \"{{{{ pr.branchSlug }}}}\"\n{API}"));
    let args = ["--pr", "3", "--branch", "velero"];
    let expected = "spec.namespace: `{{ pr.branchSlug }}` is not the platform's namespace: a preview's namespace comes from `namespace` of the built-in policy";
    refused(&render(&text, &args, None), &[expected, "(`{{ name }}-pr-{{ pr.number }}`)"]);
    refused(
        &render(&text, &args, Some(POLICY)),
        &["`namespace` of the policy policy.yaml (`preview-{{ name }}-{{ pr.number }}`)"],
    );

    // The same through Argo CD's plugin, with the branch from the Application's env.
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &text);
    let cmp = kpreview()
        .current_dir(dir.path())
        .arg("cmp")
        .envs([("ARGOCD_ENV_PR_NUMBER", "3"), ("ARGOCD_ENV_BRANCH", "velero"), ("ARGOCD_APP_NAMESPACE", "velero")])
        .env_remove("KPREVIEW_POLICY")
        .output()
        .expect("cmp");
    refused(&cmp, &["spec.namespace: `{{ pr.branchSlug }}` is not the platform's namespace"]);
}

#[test]
fn a_spec_cannot_take_another_app_s_preview() {
    let text = spec(&format!("  namespace: \"billing-pr-{{{{ pr.number }}}}\"\n{API}"));
    refused(
        &render(&text, &["--pr", "5"], None),
        &["spec.namespace: `billing-pr-{{ pr.number }}` is not the platform's namespace"],
    );
    // A spec that writes the policy's own namespace is fine: it renders the same.
    let same = spec(&format!("  namespace: \"preview-{{{{name}}}}-{{{{ pr.number }}}}\"\n{API}"));
    let objects = objects(&render(&same, &["--pr", "5"], Some(POLICY)));
    assert_eq!(find(&objects, "Namespace")["metadata"]["name"], "preview-shop-5");
    // Without spec.namespace the policy's namespace is used, and every object is in it.
    let objects = self::objects(&render(&spec(API), &["--pr", "5"], Some(POLICY)));
    for o in objects.iter().filter(|o| o["kind"] != "Namespace") {
        assert_eq!(o["metadata"]["namespace"], "preview-shop-5", "{o}");
    }
}

/// `cmp` renders only into the Application's destination namespace.
#[test]
fn cmp_refuses_a_namespace_that_is_not_its_application_s() {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &spec(API));
    let cmp = |destination: Option<&str>| {
        let mut cmd = kpreview();
        cmd.current_dir(dir.path()).arg("cmp").env("ARGOCD_ENV_PR_NUMBER", "8").env_remove("KPREVIEW_POLICY");
        match destination {
            Some(d) => cmd.env("ARGOCD_APP_NAMESPACE", d),
            None => cmd.env_remove("ARGOCD_APP_NAMESPACE"),
        };
        cmd.output().expect("cmp")
    };
    assert!(cmp(Some("shop-pr-8")).status.success());
    refused(&cmp(Some("billing-pr-8")), &["but this Application deploys to `billing-pr-8` (ARGOCD_APP_NAMESPACE)"]);
    refused(&cmp(Some("")), &["the Application has no destination namespace"]);
    let outside = cmp(None);
    assert!(outside.status.success(), "{}", describe(&outside));
    assert!(stderr(&outside).contains("ARGOCD_APP_NAMESPACE is not set"), "{}", describe(&outside));
    // A sidecar without the platform's policy says so.
    assert!(stderr(&outside).contains("note: KPREVIEW_POLICY is not set"), "{}", describe(&outside));

    // metadata.name is the pull request's too: another app's name renders another namespace.
    write(dir.path(), "preview.yaml", &spec(API).replace("name: shop", "name: billing"));
    refused(&cmp(Some("shop-pr-8")), &["the preview's namespace is `billing-pr-8`"]);

    // A relative KPREVIEW_POLICY would be a file of the pull request's own working copy.
    write(dir.path(), "policy.yaml", "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nlimits: {cpu: \"64\"}\n");
    let relative = kpreview()
        .current_dir(dir.path())
        .arg("cmp")
        .envs([("ARGOCD_ENV_PR_NUMBER", "8"), ("KPREVIEW_POLICY", "policy.yaml")])
        .output()
        .expect("cmp");
    refused(&relative, &["KPREVIEW_POLICY is `policy.yaml`: give an absolute path"]);
}

#[test]
fn the_platform_s_namespaces_are_the_policy_s() {
    let text = spec(
        "  restore: {veleroNamespace: velero-decoy}\n  dataStores:\n    db:\n      engine: postgres\n      seed: {velero: {backup: nightly, namespace: velero}}\n",
    );
    let output = render(&text, &["--pr", "2"], None);
    refused(
        &output,
        &[
            "spec.restore.veleroNamespace: `velero-decoy` is not Velero's namespace: `platform.velero` of the built-in policy",
            "spec.dataStores.db.seed.velero.namespace: `velero` is Velero's namespace",
        ],
    );
    let moved = spec(&format!(
        "  staging: {{namespace: shop-staging}}\n  ingress: {{controllerNamespace: kube-system}}\n{API}"
    ));
    refused(
        &render(&moved, &["--pr", "2"], Some(POLICY)),
        &[
            "spec.staging.namespace: `shop-staging` is not staging's namespace: `platform.staging` of the policy",
            "spec.ingress.controllerNamespace: `kube-system` is not the ingress controller's namespace",
        ],
    );
}

#[test]
fn seed_bases_are_the_app_s_and_never_a_preview() {
    let seeded = |base: &str| {
        spec(&format!(
            "  dataStores:\n    db:\n      engine: postgres\n      seed: {{velero: {{backup: nightly, namespace: {base}}}}}\n"
        ))
    };
    refused(
        &render(&seeded("billing-pr-3"), &["--pr", "2"], None),
        &["spec.dataStores.db.seed.velero.namespace: `billing-pr-3` has the shape of a preview's namespace"],
    );
    refused(
        &render(&seeded("billing-base"), &["--pr", "2"], Some(POLICY)),
        &[
            "`billing-base` is not a seed base of app `shop`: `seedBases.shop` of the policy policy.yaml decides, and accepted: `preview-base`",
        ],
    );
    assert!(render(&seeded("preview-base"), &["--pr", "2"], Some(POLICY)).status.success());
}

#[test]
fn limits_refuse_a_spec_and_cap_the_quota() {
    // Issue 17: 2,000 services × 20 replicas × 8 CPU made a quota of 648,000 CPUs.
    let services = (0..2000).fold(String::new(), |mut out, i| {
        let _ = writeln!(
            out,
            "    s{i}: {{image: registry.example.com/x:1, replicas: 20, resources: {{requests: {{cpu: \"8\"}}}}}}"
        );
        out
    });
    let huge = spec(&format!("  services:\n{services}"));
    let output = render(&huge, &["--pr", "1"], None);
    refused(
        &output,
        &[
            "spec: 2000 services and data stores; `limits.services` of the built-in policy",
            "spec.services.s0.replicas: 20 replicas; `limits.replicas` of the built-in policy",
            "spec: the preview's CPU requests (replicas times each request) add up to 320000; `limits.cpu` of the built-in policy",
        ],
    );

    let big = spec(
        "  services:\n    api: {image: registry.example.com/api:1, replicas: 3, resources: {requests: {cpu: 500m}}}\n  dataStores:\n    db: {engine: postgres, storage: 30Gi}\n",
    );
    refused(
        &render(&big, &["--pr", "1"], Some(POLICY)),
        &[
            "spec.services.api.replicas: 3 replicas; `limits.replicas` of the policy policy.yaml allows at most 2",
            "add up to 1.55; `limits.cpu` of the policy policy.yaml allows at most 1 per preview",
            "spec: the preview's data store volumes add up to 30Gi; `limits.storage`",
        ],
    );
    // Within the limits, the quota is the smaller of what the spec asks for and the policy.
    let fits = spec(
        "  services:\n    api: {image: registry.example.com/api:1, replicas: 2, resources: {requests: {cpu: 400m}}}\n",
    );
    let objects = objects(&render(&fits, &["--pr", "1"], Some(POLICY)));
    let hard = &find(&objects, "ResourceQuota")["spec"]["hard"];
    assert_eq!(hard["requests.cpu"], "1000m", "{hard}");
    let unlimited = self::objects(&render(&fits, &["--pr", "1"], None));
    assert_eq!(find(&unlimited, "ResourceQuota")["spec"]["hard"]["requests.cpu"], "2200m");
}

#[test]
fn the_ttl_is_capped_by_the_policy() {
    let asks = |ttl: &str| spec(&format!("  ttl: {ttl}\n{API}"));
    refused(
        &render(&asks("10000h"), &["--pr", "1"], None),
        &["spec.ttl: `10000h` is longer than `limits.ttl` of the built-in policy allows, at most 168h"],
    );
    let ttl = |output: &Output| {
        find(&objects(output), "Namespace")["metadata"]["annotations"]["kpreview.dev/ttl"].as_str().map(str::to_owned)
    };
    assert_eq!(ttl(&render(&asks("168h"), &["--pr", "1"], None)).as_deref(), Some("168h"));
    let short = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nlimits: {ttl: 24h}\n";
    refused(
        &render(&asks("25h"), &["--pr", "1"], Some(short)),
        &["spec.ttl: `25h` is longer than `limits.ttl` of the policy policy.yaml allows, at most 24h"],
    );
    // A spec that never asked for a TTL is not refused for kpreview's default (48h): it gets the cap.
    assert_eq!(ttl(&render(&spec(API), &["--pr", "1"], Some(short))).as_deref(), Some("24h"));
    assert_eq!(ttl(&render(&spec(API), &["--pr", "1"], None)).as_deref(), Some("48h"));
    let bad = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nlimits: {ttl: 2d}\n";
    let output = render(&spec(API), &["--pr", "1"], Some(bad));
    assert!(stderr(&output).contains("limits.ttl: `2d`: Go durations have no `d`"), "{}", describe(&output));
}

#[test]
fn images_come_from_the_allowed_registries() {
    let text = spec(
        "  services:\n    api: {image: evil.io/registry.example.com/x:1}\n    web: {image: registry.example.com.evil.io/web:1}\n  dataStores:\n    db: {engine: postgres}\n    cache: {engine: postgres, seed: {image: quay.io/x/postgres-seed:1}}\n",
    );
    let policy =
        POLICY.replace("images: [registry.example.com/, docker.io/library/]", "images: [registry.example.com/]");
    refused(
        &render(&text, &["--pr", "1"], Some(&policy)),
        &[
            "spec.services.api.image: `evil.io/registry.example.com/x:1` is not from a registry the platform allows: `images` of the policy policy.yaml accepts images starting with `registry.example.com/`",
            "spec.services.web.image: `registry.example.com.evil.io/web:1`",
            "spec.dataStores.db.image: `docker.io/library/postgres:16`",
            "spec.dataStores.cache.seed.image: `quay.io/x/postgres-seed:1`",
        ],
    );
}

#[test]
fn ingress_annotations_pass_an_allowlist_or_the_denylist() {
    let annotated = |key: &str| spec(&format!("  ingress:\n    annotations: {{\"{key}\": \"x\"}}\n{API}"));
    for key in [
        "nginx.ingress.kubernetes.io/auth-url",
        "nginx.ingress.kubernetes.io/Auth-Signin",
        "nginx.ingress.kubernetes.io/mirror-target",
        "nginx.ingress.kubernetes.io/mirror-uri",
        "nginx.ingress.kubernetes.io/auth-tls-secret",
        "external-dns.alpha.kubernetes.io/hostname",
        "link.argocd.argoproj.io/external-link",
    ] {
        refused(&render(&annotated(key), &["--pr", "1"], None), &[&format!("spec.ingress.annotations[\"{key}\"]")]);
    }
    assert!(render(&annotated("cert-manager.io/cluster-issuer"), &["--pr", "1"], None).status.success());
    refused(
        &render(&annotated("cert-manager.io/cluster-issuer"), &["--pr", "1"], Some(POLICY)),
        &[
            "`cert-manager.io/cluster-issuer` is not an annotation the platform allows on a preview's Ingresses: `ingressAnnotations` of the policy policy.yaml lists them, and it allows `nginx.ingress.kubernetes.io/proxy-body-size`",
        ],
    );
    assert!(
        render(&annotated("nginx.ingress.kubernetes.io/proxy-body-size"), &["--pr", "1"], Some(POLICY))
            .status
            .success()
    );
}

#[test]
fn a_user_id_past_32_bits_is_refused() {
    let text = spec("  services:\n    api: {image: registry.example.com/api:1, runAsUser: 2147483648}\n");
    refused(
        &render(&text, &["--pr", "1"], None),
        &["spec.services.api.runAsUser: `2147483648` is not a user id: a whole number from 1 to 2147483647"],
    );
    let ok = spec("  services:\n    api: {image: registry.example.com/api:1, runAsUser: 2147483647}\n");
    assert!(render(&ok, &["--pr", "1"], None).status.success());
}

#[test]
fn a_bad_policy_is_reported_at_its_paths() {
    let bad = "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewPolicy\nnamespace: \"{{ pr.branchSlug }}\"\nlimits: {cpus: 8}\n";
    let output = render(&spec(API), &["--pr", "1"], Some(bad));
    refused(
        &output,
        &[
            "policy.yaml is not a valid PreviewPolicy",
            "limits.cpus: unknown field `cpus`, did you mean `cpu`?",
            "namespace: `{{ pr.branchSlug }}` does not hold `{{ pr.number }}`",
        ],
    );
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &spec(API));
    let missing = kpreview()
        .current_dir(dir.path())
        .args(["render", "--pr", "1"])
        .env("KPREVIEW_POLICY", "nope.yaml")
        .output()
        .expect("run");
    // The platform's file is missing: the environment's fault (exit 2), as a missing spec is.
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    assert!(stderr(&missing).contains("the policy (--policy or KPREVIEW_POLICY): cannot read nope.yaml"));
}

/// `KPREVIEW_POLICY` reaches the KRM function and the kustomize plugin, as the flag reaches the CLI.
#[test]
fn the_function_and_the_kustomize_plugin_read_the_policy_from_the_environment() {
    let dir = tempdir();
    let policy = write(dir.path(), "policy.yaml", POLICY);
    let text = spec("  services:\n    api: {image: registry.example.com/api:1, replicas: 3}\n");
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {}\n",
        serde_json::to_string(&kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).expect("yaml"))
            .expect("json")
    );
    let function = run_with_stdin(
        kpreview().arg("fn").env("KPREVIEW_POLICY", &policy).env("KPREVIEW_PR_NUMBER", "4"),
        list.as_bytes(),
    );
    assert_eq!(function.status.code(), Some(1), "{}", describe(&function));
    let results = String::from_utf8_lossy(&function.stdout);
    assert!(results.contains("`limits.replicas` of the policy"), "{results}");

    // kustomize runs the plugin as `Preview` with the generator config's path.
    let plugin = dir.path().join("Preview");
    std::os::unix::fs::symlink(kpreview_path(), &plugin).expect("symlink");
    let config = write(dir.path(), "preview.yaml", &text);
    let run = |policy: Option<&Path>| {
        let mut cmd = Command::new(&plugin);
        cmd.arg(&config).current_dir(dir.path()).env("KPREVIEW_PR_NUMBER", "4").env_remove("KPREVIEW_POLICY");
        if let Some(p) = policy {
            cmd.env("KPREVIEW_POLICY", p);
        }
        cmd.output().expect("plugin")
    };
    assert!(run(None).status.success(), "{}", describe(&run(None)));
    refused(&run(Some(&policy)), &["spec.services.api.replicas: 3 replicas; `limits.replicas` of the policy"]);
}

#[test]
fn publish_takes_the_namespace_from_the_policy() {
    let world = World::new();
    let repo = world.clone("ci");
    let spec_path = write(&world.root(), "app/preview.yaml", &spec(API));
    let policy = write(&world.root(), "platform/policy.yaml", POLICY);
    let out = world.ok(&[
        "publish",
        &spec_path.to_string_lossy(),
        "--repo",
        &repo.to_string_lossy(),
        "--pr",
        "42",
        "--sha",
        SHA,
        "--policy",
        &policy.to_string_lossy(),
        "--now",
        "2026-11-21T10:00:00Z",
    ]);
    assert!(out.status.success());
    assert!(repo.join("previews/preview-shop-42/manifests").is_dir(), "{}", describe(&out));
}

/// Runs kpreview under an address-space cap and a timeout, so a runaway read fails the test
/// instead of the machine.
fn capped(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; exec timeout 20 \"$0\" \"$@\"")
        .arg(kpreview_path())
        .args(args)
        .current_dir(dir)
        .env_remove("KPREVIEW_POLICY")
        .output()
        .expect("run sh")
}

#[test]
fn a_lock_file_is_read_bounded_and_never_through_a_link_out_of_the_spec_s_directory() {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &spec(API));
    let lock = dir.path().join("preview.lock");
    std::os::unix::fs::symlink("/dev/zero", &lock).expect("symlink");
    let start = std::time::Instant::now();
    let zero = capped(dir.path(), &["render", "--pr", "1"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(10), "took {:?}", start.elapsed());
    refused(&zero, &["preview.lock: it is a symbolic link to /dev/zero, outside the spec's directory"]);

    std::fs::remove_file(&lock).expect("rm");
    write(dir.path(), "../secret.lock", "apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\n");
    std::os::unix::fs::symlink("../secret.lock", &lock).expect("symlink");
    refused(&capped(dir.path(), &["render", "--pr", "1"]), &["outside the spec's directory"]);

    std::fs::remove_file(&lock).expect("rm");
    let big = format!("apiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\n#{}\n", "x".repeat(2 << 20));
    std::fs::write(&lock, big).expect("write");
    refused(
        &capped(dir.path(), &["render", "--pr", "1"]),
        &["preview.lock: ", "is larger than the 1048576 bytes kpreview reads"],
    );

    // The kustomize plugin and the CMP read the lock the same way.
    std::fs::remove_file(&lock).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &lock).expect("symlink");
    let cmp = capped(dir.path(), &["cmp"]);
    refused(&cmp, &["outside the spec's directory"]);
    let policy = dir.path().join("policy.yaml");
    std::os::unix::fs::symlink("/dev/zero", &policy).expect("symlink");
    std::fs::remove_file(&lock).expect("rm");
    refused(
        &capped(dir.path(), &["render", "--pr", "1", "--policy", "policy.yaml"]),
        &["policy.yaml is not a regular file"],
    );
}

/// A clone `ci` of a fresh GitOps remote, an overlay `app` whose generator renders the shop spec,
/// the platform's policy, and the `publish --overlay app` of PR 42 under it at a fixed time.
fn overlay_setup() -> (World, PathBuf, PathBuf, Vec<String>) {
    let world = World::new();
    let repo = world.clone("ci");
    let app = world.root().join("app");
    write(&app, "preview.yaml", &spec(API));
    write(&app, "kustomization.yaml", "generators: [preview.yaml]\n");
    let policy = write(&world.root(), "platform/policy.yaml", POLICY);
    let (dir, into, policy) = (app.display().to_string(), repo.display().to_string(), policy.display().to_string());
    let args = ["publish", "--overlay", &dir, "--repo", &into, "--pr", "42", "--sha", SHA, "--policy", &policy]
        .into_iter()
        .chain(["--now", "2026-11-21T10:00:00Z"])
        .map(str::to_owned)
        .collect();
    (world, repo, app, args)
}

/// `publish --overlay` hands `--policy` to the plugin kustomize runs, so the overlay renders the
/// policy's namespace too.
#[test]
fn publish_overlay_passes_the_policy_to_the_plugin() {
    let (world, repo, app, args) = overlay_setup();
    let out = world.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(repo.join("previews/preview-shop-42/manifests").is_dir(), "{}", describe(&out));

    // A patch in the overlay, the pull request's too, cannot lift the policy's TTL cap.
    let patch = "generators: [preview.yaml]\npatches:\n- target: {kind: Namespace}\n  patch: |-\n    - op: replace\n      path: /metadata/annotations/kpreview.dev~1ttl\n      value: 1000h\n";
    write(&app, "kustomization.yaml", patch);
    let out = world.fails(1, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        stderr(&out).contains("asks for a TTL of `1000h` (kpreview.dev/ttl), longer than `limits.ttl` of the policy"),
        "{}",
        describe(&out)
    );
}

/// The security trial's overlay: the generator renders the spec under the policy, then the pull
/// request's kustomization swaps the image, adds a snippet annotation, guts the ResourceQuota and
/// asks for host networking, 500 replicas and a load balancer. The build is refused naming every
/// one, and the GitOps repository is left as it was.
#[test]
fn publish_overlay_refuses_a_build_patched_beyond_the_policy_naming_every_violation() {
    let (world, repo, app, args) = overlay_setup();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    world.ok(&args);
    let before = crate::gitops::fixture::state(&repo);

    let patch = |kind: &str, ops: &str| format!("- target: {{kind: {kind}}}\n  patch: |-\n{ops}");
    let op = |op: &str, path: &str, value: &str| format!("    - op: {op}\n      path: {path}\n      value: {value}\n");
    let hostile = format!(
        "generators: [preview.yaml]\nimages:\n- name: registry.example.com/shop/api\n  newName: evil.io/miner\npatches:\n{}{}{}{}",
        patch(
            "Ingress",
            &op(
                "add",
                "/metadata/annotations/nginx.ingress.kubernetes.io~1configuration-snippet",
                "\"more_set_headers x\""
            ),
        ),
        patch("ResourceQuota", &op("replace", "/spec/hard", "{pods: \"1000\"}")),
        patch(
            "Deployment",
            &format!(
                "{}{}",
                op("add", "/spec/template/spec/hostNetwork", "true"),
                op("replace", "/spec/replicas", "500")
            ),
        ),
        patch("Service", &op("add", "/spec/type", "LoadBalancer")),
    );
    write(&app, "kustomization.yaml", &hostile);
    let out = world.fails(1, &args);
    let stderr = stderr(&out);
    let policy_name = format!("the policy {}", world.root().join("platform/policy.yaml").display());
    for expected in [
        format!(
            "Deployment/api: spec.template.spec.containers[0].image: `evil.io/miner:1` is not from a registry the \
             platform allows: `images` of {policy_name} accepts images starting with `registry.example.com/`, \
             `docker.io/library/`"
        ),
        "Ingress/api: metadata.annotations.nginx.ingress.kubernetes.io/configuration-snippet: `nginx.ingress.kubernetes.io/configuration-snippet` pastes raw configuration".to_owned(),
        format!("ResourceQuota/preview: spec.hard.requests.cpu: is missing; the generator caps it at most at 1 (`limits.cpu` of {policy_name})"),
        "ResourceQuota/preview: spec.hard.requests.memory: is missing".to_owned(),
        "ResourceQuota/preview: spec.hard.limits.memory: is missing".to_owned(),
        "ResourceQuota/preview: spec.hard.pods: is `1000`, above the 34".to_owned(),
        "ResourceQuota/preview: spec.hard.services.loadbalancers: must stay `0`".to_owned(),
        "ResourceQuota/preview: spec.hard.services.nodeports: must stay `0`".to_owned(),
        "Deployment/api: spec.template.spec.hostNetwork: shares the node's namespaces".to_owned(),
        format!("Deployment/api: spec.replicas: 500 replicas; `limits.replicas` of {policy_name} allows at most 2"),
        "Service/api: spec.type: is `LoadBalancer`".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "expected {expected:?} in\n{stderr}");
    }
    // Those and the quota's `persistentvolumeclaims`: every one at once, none more.
    assert!(stderr.contains(&format!("goes beyond the platform's policy ({policy_name}) in 12 places")), "{stderr}");
    crate::gitops::fixture::assert_same(&before, &crate::gitops::fixture::state(&repo), "a refused overlay");
}

/// The shipped overlay (`overlays/pr-42`: a Velero seed, so restore RBAC and the cleanup Job in
/// Velero's namespace) publishes under the shipped policy: nothing the generator renders is
/// refused by the check of the built objects, and the platform's kpreview image passes even when
/// it is a mirror the policy's `images` do not list.
#[test]
fn the_shipped_overlay_publishes_under_the_shipped_policy() {
    let world = World::new();
    let repo = world.clone("ci");
    let root = crate::support::root();
    let overlay = root.join("overlays/pr-42");
    let policy = root.join("functions/argocd/policy.yaml");
    let mut cmd = world.kpreview();
    cmd.env("KPREVIEW_IMAGE", "mirror.internal.example/kpreview:1")
        .args(["publish", "--overlay"])
        .arg(&overlay)
        .arg("--repo")
        .arg(&repo)
        .args(["--sha", "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d", "--now", "2026-11-21T10:00:00Z", "--policy"])
        .arg(&policy);
    let out = cmd.output().expect("run kpreview");
    assert!(out.status.success(), "{}", describe(&out));
    let manifests = repo.join("previews/shop-pr-42/manifests");
    let files: Vec<String> = std::fs::read_dir(&manifests)
        .expect("published")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        files.iter().any(|f| f.contains("namespace: velero") && f.contains("mirror.internal.example/kpreview:1")),
        "the cleanup Job in Velero's namespace, on the platform's image"
    );
}

/// The policy the Argo CD sidecar mounts is valid, and the bundled examples stay within it.
#[test]
fn the_shipped_policy_is_valid_and_admits_the_examples() {
    let policy = crate::support::root().join("functions/argocd/policy.yaml");
    for name in ["shop", "blog", "storefront"] {
        let dir = crate::support::root().join("examples").join(name);
        let output = kpreview()
            .current_dir(&dir)
            .args(["render", "preview.yaml", "--pr", "4", "--sha", SHA, "--policy"])
            .arg(&policy)
            .output()
            .expect("run kpreview");
        assert!(output.status.success(), "examples/{name}: {}", describe(&output));
    }
}

/// `KPREVIEW_POLICY=` (a sidecar whose ConfigMap lacks the key) counts as unset in every command
/// that reads it: the built-in policy, the same output as without the variable.
#[test]
fn an_empty_kpreview_policy_is_the_built_in_policy_everywhere() {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &spec(API));
    let run = |args: &[&str], policy: Option<&str>| {
        let mut cmd = kpreview();
        cmd.current_dir(dir.path())
            .args(args)
            .envs([("ARGOCD_ENV_PR_NUMBER", "8"), ("ARGOCD_APP_NAMESPACE", "shop-pr-8")])
            .env_remove("KPREVIEW_POLICY");
        if let Some(p) = policy {
            cmd.env("KPREVIEW_POLICY", p);
        }
        cmd.output().expect("run kpreview")
    };
    for args in [
        &["validate", "preview.yaml"][..],
        &["render", "preview.yaml", "--pr", "8"],
        &["plan", "preview.yaml", "--pr", "8"],
        &["cmp"],
        &["render", "preview.yaml", "--pr", "8", "--policy", ""],
    ] {
        let (unset, empty) = (run(args, None), run(args, Some("")));
        assert!(empty.status.success(), "{args:?} with KPREVIEW_POLICY=:\n{}", describe(&empty));
        assert_eq!((unset.stdout, unset.stderr), (empty.stdout, empty.stderr), "{args:?}");
    }
}
