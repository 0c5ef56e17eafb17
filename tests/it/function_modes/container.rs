//! kpreview's image run by the tools that start it themselves: kpt (`fn eval --image`, a
//! Kptfile's `image:`), kustomize's `container:` function through the Docker API, and the
//! restore and cleanup Jobs' `args` against a loopback Kubernetes API. The image is the
//! Dockerfile's final stage built on the binary under test (see `crate::podman`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    GENERATED_BY, SHA, assert_same_objects, bad, copy_dir, docs, generated_objects, package, render, snapshot,
};
use crate::podman::{IMAGE, Podman};
use crate::restore::apiserver::{ApiServer, Step};
use crate::support::{describe, kpreview_path, root, tempdir, write};

const RESTORES: &str = "/apis/velero.io/v1/namespaces/velero/restores";

/// kpt with podman as its function runtime, on the package `dir`; `kpreview` is not on its PATH.
fn kpt(podman: &Podman, args: &[&str], dir: &Path) -> Output {
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    podman
        .command("kpt")
        .args(&args[..split])
        .arg(dir)
        .args(&args[split..])
        .env("KPT_FN_RUNTIME", "podman")
        .env_remove("PREVIEW_PR_NUMBER")
        .env_remove("PREVIEW_HEAD_SHA")
        .env_remove("PREVIEW_BRANCH")
        .output()
        .expect("run kpt")
}

/// Runs kpt twice: the second run must change no byte. Returns the files after the first.
fn kpt_twice(podman: &Podman, args: &[&str], pkg: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let first = kpt(podman, args, pkg);
    assert!(first.status.success(), "{}", describe(&first));
    let after = snapshot(pkg);
    let second = kpt(podman, args, pkg);
    assert!(second.status.success(), "{}", describe(&second));
    assert!(snapshot(pkg) == after, "a second `kpt {}` changed the package", args.join(" "));
    after
}

#[test]
fn kpt_fn_eval_runs_the_image_as_it_runs_the_binary() {
    let Some(podman) = Podman::get("kpt_fn_eval_runs_the_image_as_it_runs_the_binary") else { return };
    let pkg = package();
    let twin = tempdir();
    copy_dir(pkg.path(), twin.path());
    let sha = format!("sha={SHA}");

    kpt_twice(podman, &["fn", "eval", "--image", IMAGE, "--", "pr=43", &sha], pkg.path());
    let expected = render(&pkg.path().join("preview.yaml"), &["--pr", "43", "--sha", SHA]);
    assert_same_objects("kpt fn eval --image", generated_objects(&pkg.path().join("hello-pr-43")), docs(&expected));

    // The same package through the binary itself: every file the same, byte for byte.
    let exec = kpreview_path().display().to_string();
    let binary = kpt(podman, &["fn", "eval", "--exec", &exec, "--", "pr=43", &sha], twin.path());
    assert!(binary.status.success(), "{}", describe(&binary));
    assert!(snapshot(pkg.path()) == snapshot(twin.path()), "the image and the binary wrote different files");

    // A bad spec: kpt fails, changes nothing, and reports the field.
    let spec = pkg.path().join("preview.yaml");
    std::fs::write(&spec, bad(&std::fs::read_to_string(&spec).expect("spec"))).expect("write");
    let before = snapshot(pkg.path());
    let results = tempdir();
    let results_arg = format!("--results-dir={}", results.path().display());
    let failed = kpt(podman, &["fn", "eval", "--image", IMAGE, &results_arg, "--", "pr=44"], pkg.path());
    assert!(!failed.status.success(), "{}", describe(&failed));
    assert!(snapshot(pkg.path()) == before, "a failed run changed the package");
    let report = std::fs::read_to_string(results.path().join("results.yaml")).expect("results.yaml");
    assert!(report.contains("path: spec.services.web.port") && report.contains("severity: error"), "{report}");
}

/// kpt's own defaults for an `image:` function: user `nobody`, no network, no environment.
#[test]
fn kpt_fn_render_runs_the_image_of_the_kptfile() {
    let Some(podman) = Podman::get("kpt_fn_render_runs_the_image_of_the_kptfile") else { return };
    let pkg = package();
    let kptfile = pkg.path().join("Kptfile");
    let text = std::fs::read_to_string(&kptfile).expect("Kptfile");
    let with_image = text.replace("  - exec: kpreview fn\n", &format!("  - image: {IMAGE}\n"));
    assert_ne!(with_image, text, "functions/kpt/Kptfile no longer runs `exec: kpreview fn`");
    std::fs::write(&kptfile, &with_image).expect("write");

    let after = kpt_twice(podman, &["fn", "render"], pkg.path());
    assert!(after.keys().any(|p| p.starts_with("flow")), "the package lost its second spec");
    let expected = render(&pkg.path().join("preview.yaml"), &[]);
    assert_same_objects("kpt fn render", generated_objects(&pkg.path().join("hello-pr-42")), docs(&expected));
}

#[test]
fn kustomize_runs_the_container_function_through_the_docker_api() {
    let Some(podman) = Podman::get("kustomize_runs_the_container_function_through_the_docker_api") else { return };
    let dir = tempdir();
    copy_dir(&root().join("functions/kustomize/container"), dir.path());
    let spec = dir.path().join("preview.yaml");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let local = text.replace("image: ghcr.io/kpreview/kpreview:0.1.0", &format!("image: {IMAGE}"));
    assert_ne!(local, text, "functions/kustomize/container names another image");
    std::fs::write(&spec, local).expect("write");

    let service = podman.service();
    let output = podman
        .command("kubectl")
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir.path())
        .env("DOCKER_HOST", service.docker_host())
        .output()
        .expect("run kubectl kustomize");
    let pid = service.pid();
    drop(service);
    assert!(!Path::new("/proc").join(pid.to_string()).exists(), "podman system service {pid} outlived its test");
    assert!(output.status.success(), "{}", describe(&output));
    let mut objects = docs(&String::from_utf8_lossy(&output.stdout));
    for object in &mut objects {
        let annotations = object.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut);
        // The function mode's bookkeeping for kpt, as with `kpt fn eval`.
        let by = annotations.and_then(|a| a.remove(GENERATED_BY));
        assert_eq!(by, Some(json!("Preview/hello")), "{object}");
    }
    assert_same_objects("kustomize container:", objects, docs(&render(&spec, &[])));
}

/// The rendered Jobs' `args` and the restore Role's rules of the shop example.
struct Jobs {
    restore: Vec<String>,
    cleanup: Vec<String>,
    /// `--user` as the Jobs' pod security context gives it.
    user: String,
    restore_rules: Value,
}

fn jobs() -> Jobs {
    let objects = docs(&render(&root().join("examples/shop/preview.yaml"), &["--pr", "42", "--sha", SHA]));
    let job = |component: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == "Job" && o["metadata"]["labels"]["app.kubernetes.io/component"] == component)
            .unwrap_or_else(|| panic!("the shop example has no {component} Job"))
            .clone()
    };
    let (restore, cleanup) = (job("restore"), job("cleanup"));
    let args = |job: &Value| -> Vec<String> {
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        assert!(container.get("command").is_none(), "the Job overrides the entrypoint");
        serde_json::from_value(container["args"].clone()).expect("args")
    };
    let pod = &restore["spec"]["template"]["spec"]["securityContext"];
    let role = objects.iter().find(|o| o["kind"] == "Role").expect("the restore Role");
    Jobs {
        restore: args(&restore),
        cleanup: args(&cleanup),
        user: format!("{}:{}", pod["runAsUser"], pod["runAsGroup"]),
        restore_rules: role["rules"].clone(),
    }
}

/// The rules of the platform's cleanup Role (`overlays/components/velero-seeds`).
fn cleanup_rules() -> Value {
    let text = std::fs::read_to_string(root().join("overlays/components/velero-seeds/cleanup.yaml")).expect("overlay");
    docs(&text).into_iter().find(|o| o["kind"] == "Role").map(|role| role["rules"].clone()).expect("a Role")
}

/// The restore and cleanup Jobs give the image only `args`, so its entrypoint must be kpreview;
/// both run here as the Jobs run them (their user, no capabilities, no privilege escalation).
#[test]
fn the_jobs_run_the_image_with_only_their_args() {
    let Some(podman) = Podman::get("the_jobs_run_the_image_with_only_their_args") else { return };
    let jobs = jobs();
    let server = ApiServer::start();
    server.enforce(jobs.restore_rules.clone());
    let name = jobs.restore_rules[1]["resourceNames"][0].as_str().expect("the Restore's name").to_owned();
    let soon = Duration::from_millis(30);
    let completed = json!({"phase": "Completed", "progress": {"itemsRestored": 2, "totalItems": 2},
                           "warnings": 0, "errors": 0});
    let steps = vec![(soon, Step::Status(json!({"phase": "InProgress"}))), (soon, Step::Status(completed))];
    server.script(RESTORES, &name, steps);
    let dir = tempdir();
    let kubeconfig = server.kubeconfig(dir.path());
    let mount = format!("{}:/etc/kpreview/kubeconfig:ro", kubeconfig.display());
    let options = [
        "--network=host",
        "--user",
        &jobs.user,
        "--cap-drop=all",
        "--security-opt=no-new-privileges",
        "--volume",
        &mount,
        "--env=KUBECONFIG=/etc/kpreview/kubeconfig",
    ];

    let restored = podman.run(&options, &jobs.restore);
    assert!(restored.status.success(), "{}", describe(&restored));
    let stderr = String::from_utf8_lossy(&restored.stderr);
    assert!(stderr.contains(&format!("Restore velero/{name} Completed: 2/2 items restored")), "{stderr}");
    assert!(server.object(RESTORES, &name).is_some(), "the Job created no Restore {name}");

    server.enforce(cleanup_rules());
    let cleaned = podman.run(&options, &jobs.cleanup);
    assert!(cleaned.status.success(), "{}", describe(&cleaned));
    let stderr = String::from_utf8_lossy(&cleaned.stderr);
    assert!(stderr.contains(&format!("deleted Restore velero/{name}")), "{stderr}");
    assert!(server.names(RESTORES).is_empty(), "the cleanup Job left {:?}", server.names(RESTORES));
    assert!(server.calls().iter().all(|c| c.status != 403), "{:#?}", server.calls());
}

/// The image's `USER`: with no `--user`, what kpreview writes belongs to 65532:65532 (the
/// distroless `nonroot` the Dockerfile names), not to root.
#[test]
fn the_image_runs_as_nonroot_by_default() {
    let Some(podman) = Podman::get("the_image_runs_as_nonroot_by_default") else { return };
    let dir = tempdir();
    let spec = write(
        dir.path(),
        "spec/preview.yaml",
        &std::fs::read_to_string(root().join("functions/kpt/preview.yaml")).expect("spec"),
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let volumes = [
        "--volume".to_owned(),
        format!("{}:/spec:ro", spec.parent().expect("dir").display()),
        "--volume".to_owned(),
        format!("{}:/out", out.display()),
    ];
    let options: Vec<&str> = volumes.iter().map(String::as_str).chain(["--network=none"]).collect();
    let args = ["render", "/spec/preview.yaml", "--pr", "7", "-o", "/out/objects"].map(str::to_owned);
    let output = podman.run(&options, &args);
    assert!(output.status.success(), "{}", describe(&output));
    let written = out.join("objects");
    let mut objects = Vec::new();
    for (path, bytes) in snapshot(&written) {
        let meta = std::fs::metadata(written.join(&path)).expect("stat");
        assert_eq!((meta.uid(), meta.gid()), (65532, 65532), "{} belongs to another user", path.display());
        objects.extend(docs(&String::from_utf8(bytes).expect("UTF-8")));
    }
    assert_same_objects("render -o in the image", objects, docs(&render(&spec, &["--pr", "7"])));
}
