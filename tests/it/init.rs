//! `kpreview init`: from compose files shaped like real projects' (testdata/compose/) to a spec
//! that validates and renders manifests that validate strictly; the starter spec; no overwrite.

use std::path::Path;

use crate::support::{describe, kpreview, root, tempdir, validate_all, write};

const SHA: &str = "4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

/// Runs `init` in `dir` with `args`; returns stderr.
fn init(dir: &Path, args: &[&str]) -> String {
    let output = kpreview().current_dir(dir).arg("init").args(args).output().expect("run");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn render(dir: &Path) -> String {
    let output = kpreview()
        .current_dir(dir)
        .args(["render", "preview.yaml", "--pr", "7", "--sha", SHA, "--branch", "feature/x"])
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn compose_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("testdata/compose"))
        .expect("testdata/compose")
        .flat_map(|dir| std::fs::read_dir(dir.expect("entry").path()).expect("case"))
        .map(|f| f.expect("file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the compose cases are missing: {files:?}");
    files
}

#[test]
fn every_compose_case_gives_a_spec_that_validates_and_renders_valid_manifests() {
    let mut streams = Vec::new();
    for file in compose_files() {
        let dir = tempdir();
        let stderr = init(dir.path(), &["--from", file.to_str().expect("path")]);
        assert!(stderr.contains("wrote preview.yaml"), "{stderr}");
        let validate = kpreview()
            .current_dir(dir.path())
            .args(["validate", "--strict", "--pr", "7", "--sha", SHA])
            .output()
            .expect("run");
        assert!(validate.status.success(), "{}: {}", file.display(), describe(&validate));
        let spec = std::fs::read_to_string(dir.path().join("preview.yaml")).expect("spec");
        assert!(spec.starts_with("# Made by `kpreview init --from"), "{spec}");
        let case = file.parent().and_then(Path::file_name).expect("case").to_string_lossy().into_owned();
        streams.push((case, render(dir.path())));
    }
    assert!(validate_all(&streams) > 0);
}

/// What each case must become: the parts of the translation a user relies on, read from the
/// spec as a model (not as text).
#[test]
fn compose_services_become_services_and_stores_as_the_issue_describes() {
    let spec = |case: &str, args: &[&str]| {
        let dir = tempdir();
        let file = root().join("testdata/compose").join(case);
        let mut all = vec!["--from", file.to_str().expect("path"), "-o", "-"];
        all.extend_from_slice(args);
        let output = kpreview().current_dir(dir.path()).arg("init").args(&all).output().expect("run");
        assert!(output.status.success(), "{}", describe(&output));
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let value = kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).expect("YAML");
        (value, text, String::from_utf8_lossy(&output.stderr).into_owned())
    };

    let (django, text, stderr) = spec("django-celery/docker-compose.yml", &[]);
    let services = &django["spec"]["services"];
    assert_eq!(services["django"]["port"], 8000);
    assert_eq!(services["django"]["expose"], true);
    assert_eq!(services["django"]["healthPath"], "/healthz/");
    assert_eq!(services["django"]["dependsOn"], serde_json::json!(["postgres", "redis", "mailpit"]));
    assert_eq!(services["django"]["image"], "registry.example.com/django-celery/django:{{ pr.headSha }}");
    assert_eq!(
        services["celeryworker"]["args"],
        serde_json::json!(["celery", "-A", "config.celery_app", "worker", "-l", "INFO", "--concurrency", "2"])
    );
    assert_eq!(services["celeryworker"]["dependsOn"], serde_json::json!(["redis", "postgres"]));
    assert!(services["django"]["env"].get("DJANGO_SECRET_KEY").is_none());
    assert!(services["django"]["env"].get("DATABASE_URL").is_none());
    assert_eq!(services["django"]["env"]["USE_DOCKER"], "yes");
    assert!(services["flower"]["env"].get("CELERY_FLOWER_PASSWORD").is_none());
    assert!(text.contains("`DJANGO_SECRET_KEY` is left out") && text.contains("`secrets`"), "{text}");
    let stores = &django["spec"]["dataStores"];
    assert_eq!(stores["postgres"], serde_json::json!({"engine": "postgres", "version": "16"}));
    assert!(text.contains("Alpine-based"), "{text}");
    assert_eq!(stores["redis"], serde_json::json!({"engine": "redis", "version": "7.2"}));
    for unsupported in ["bind mount `.:/app:z`", "`env_file`", "`restart", "docker-entrypoint-initdb.d"] {
        let lines = stderr.lines().filter(|l| l.starts_with("note: ") && l.contains(unsupported)).count();
        assert!(lines >= 1, "{unsupported} is not on stderr: {stderr}");
        assert!(text.contains(unsupported), "{unsupported} is not a comment: {text}");
    }

    let (mern, _, stderr) = spec("node-mongo/compose.yaml", &[]);
    assert_eq!(mern["metadata"]["name"], "todo-mern", "the compose file's name");
    let backend = &mern["spec"]["services"]["backend"];
    assert_eq!(backend["port"], 5000);
    assert!(backend.get("expose").is_none(), "`expose:` ports are not published");
    assert_eq!(backend["command"], serde_json::json!(["node"]));
    assert_eq!(backend["args"], serde_json::json!(["server.js", "--trace-warnings"]));
    assert_eq!(backend["runAsUser"], 1000);
    assert_eq!(backend["env"]["LOG_LEVEL"], "${LOG_LEVEL:-info}", "interpolation is kept as text");
    assert_eq!(mern["spec"]["services"]["frontend"]["image"], "ghcr.io/example/todo-frontend:main");
    assert_eq!(mern["spec"]["dataStores"]["mongo"], serde_json::json!({"engine": "mongodb", "version": "6.0"}));
    assert!(mern["spec"]["services"].get("mongo-express").is_none(), "profiles are skipped");
    assert!(stderr.contains("--profile debug"), "{stderr}");
    let (with_debug, _, _) = spec("node-mongo/compose.yaml", &["--profile", "debug"]);
    assert_eq!(with_debug["spec"]["services"]["mongo-express"]["port"], 8081);

    let (rails, _, _) = spec("rails/docker-compose.yml", &[]);
    let web = &rails["spec"]["services"]["web"];
    assert_eq!(
        web["args"],
        serde_json::json!(["bash", "-c", "rm -f tmp/pids/server.pid && bundle exec rails s -p 3000 -b '0.0.0.0'"])
    );
    assert_eq!(web["port"], 3000);
    assert!(web["env"].get("RAILS_MASTER_KEY").is_none());
    assert_eq!(web["env"]["WEB_CONCURRENCY"], "2");
    assert_eq!(rails["spec"]["services"]["sidekiq"]["replicas"], 2);

    let (anchors, text, _) = spec("anchors-profiles/docker-compose.yaml", &[]);
    let gateway = &anchors["spec"]["services"]["api-gateway"];
    assert_eq!(gateway["image"], "ghcr.io/acme/platform:2024.6.0", "defaults of variables, through a merge key");
    assert_eq!(gateway["port"], 8080);
    assert_eq!(gateway["healthPath"], "/api/health");
    assert_eq!(gateway["dependsOn"], serde_json::json!(["cache", "db-main"]), "renamed names follow");
    assert_eq!(anchors["spec"]["services"]["worker"]["env"]["WORKER_CONCURRENCY"], "4");
    assert_eq!(anchors["spec"]["services"]["worker"]["env"]["APP_ENV"], "preview", "a merged mapping");
    assert!(text.contains("metrics 9090/TCP") || gateway["ports"]["metrics"] == 9090, "{text}");
    assert_eq!(anchors["spec"]["dataStores"]["db-main"], serde_json::json!({"engine": "postgres"}));
}

#[test]
fn without_a_compose_file_init_writes_a_starter_that_validates() {
    let dir = tempdir();
    init(dir.path(), &["--name", "Blog_App"]);
    let spec = std::fs::read_to_string(dir.path().join("preview.yaml")).expect("spec");
    assert!(spec.contains("name: blog-app"), "{spec}");
    assert!(spec.contains("# dataStores:"), "{spec}");
    let manifests = render(dir.path());
    assert!(manifests.contains("kind: Ingress"), "{manifests}");
}

#[test]
fn init_never_overwrites_a_file() {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", "mine\n");
    let output = kpreview().current_dir(dir.path()).arg("init").output().expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("never overwrites"), "{}", describe(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("preview.yaml")).expect("file"), "mine\n");
}

#[test]
fn a_file_that_is_not_compose_is_refused_naming_the_place() {
    let dir = tempdir();
    for (text, expected) in [
        ("services: [web]\n", "services: expected a mapping of services by name"),
        ("services:\n  web: nginx\n", "services.web: expected a mapping"),
        ("web:\n  image: nginx\n", "no `services:`"),
        ("a: &a [*a]\n", "compose.yml"),
        ("services:\n  web:\n    image: x\n    image: y\n", "appears twice"),
    ] {
        write(dir.path(), "compose.yml", text);
        let output = kpreview()
            .current_dir(dir.path())
            .args(["init", "--from", "compose.yml", "-o", "-"])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{text}: {}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected) && stderr.contains("compose.yml"), "{text}: {stderr}");
        assert!(output.stdout.is_empty());
    }
    assert!(!dir.path().join("preview.yaml").exists());
}

/// The header's commands name the file written (`-o`), and a compose `name:` that is not a DNS
/// label is renamed with a note, as a service's is.
#[test]
fn the_header_names_the_file_written_and_a_renamed_app_is_noted() {
    let dir = tempdir();
    write(
        dir.path(),
        "compose.yml",
        "name: My_App\nservices:\n  web_ui:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n",
    );
    let notes = init(dir.path(), &["--from", "compose.yml", "-o", "other.yaml"]);
    assert!(notes.contains("note: metadata.name: `My_App` is `my-app` here"), "{notes}");
    assert!(notes.contains("note: services.web_ui: named `web-ui` here"), "{notes}");
    let text = std::fs::read_to_string(dir.path().join("other.yaml")).unwrap();
    assert!(text.contains("#   kpreview validate other.yaml\n") && !text.contains("preview.yaml"), "{text}");
    let starter = tempdir();
    init(starter.path(), &["-o", "mine.yaml"]);
    let text = std::fs::read_to_string(starter.path().join("mine.yaml")).unwrap();
    assert!(text.contains("#   kpreview render mine.yaml --pr 1"), "{text}");
}

/// A URL that reaches another service the Compose way (its name and container port) is
/// rewritten to reach it the preview's way (its Service, port 80): the rendered variable is a URL
/// the pod can use. URLs elsewhere stay as written.
#[test]
fn urls_that_name_a_container_port_reach_the_preview_s_service() {
    let dir = tempdir();
    write(
        dir.path(),
        "compose.yml",
        "services:\n  web_ui:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    environment:\n      API_URL: http://api:8000/v1\n      SELF: http://web_ui/health\n      EXTERNAL: http://example.com:8000/\n  api:\n    image: registry.example.com/shop/api:1\n    expose: [\"8000\"]\n",
    );
    let notes = init(dir.path(), &["--from", "compose.yml"]);
    assert!(notes.contains("not at container port 8000"), "{notes}");
    let manifests = kpreview::yaml::values_from_stream(&render(dir.path())).expect("YAML");
    let deployment =
        manifests.iter().find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "web-ui").expect("web-ui");
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array().expect("env");
    let value = |name: &str| env.iter().find(|e| e["name"] == name).map(|e| e["value"].clone()).expect(name);
    assert_eq!(value("API_URL"), "http://api/v1", "api's Service, port 80");
    assert_eq!(value("SELF"), "http://web-ui/health", "the renamed service");
    assert_eq!(value("EXTERNAL"), "http://example.com:8000/");
    let service = manifests.iter().find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "api").expect("api");
    assert_eq!(service["spec"]["ports"][0]["port"], 80);
    // Port 80 of the Service is the container's 8000, where the api listens.
    let api = manifests.iter().find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "api").expect("api");
    let target = &service["spec"]["ports"][0]["targetPort"];
    let ports = api["spec"]["template"]["spec"]["containers"][0]["ports"].as_array().expect("ports");
    let port = ports.iter().find(|p| &p["name"] == target || &p["containerPort"] == target).expect("target port");
    assert_eq!(port["containerPort"], 8000);
}

/// What `validate` would call a secret, `init` leaves out, and says so on stderr as well as in a
/// comment: the spec it writes validates without a secret warning.
#[test]
fn init_leaves_out_what_validate_calls_a_secret_and_says_so() {
    let dir = tempdir();
    write(
        dir.path(),
        "compose.yml",
        "services:\n  api:\n    image: registry.example.com/shop/api:1\n    environment:\n      AWS_ACCESS_KEY_ID: AKIA123\n      PLAIN: ok\n",
    );
    let notes = init(dir.path(), &["--from", "compose.yml"]);
    assert!(notes.contains("note: services.api: `AWS_ACCESS_KEY_ID` is left out"), "{notes}");
    let text = std::fs::read_to_string(dir.path().join("preview.yaml")).unwrap();
    assert!(!text.contains("AKIA123") && text.contains("PLAIN: ok"), "{text}");
    let output = kpreview().current_dir(dir.path()).args(["validate", "preview.yaml"]).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("looks like a secret"), "{stderr}");
}

/// Services that run one image (a worker beside its API) get one placeholder image, named after
/// the image Compose names, not one made up per service.
#[test]
fn services_that_share_an_image_share_its_placeholder() {
    let dir = tempdir();
    write(
        dir.path(),
        "compose.yml",
        "services:\n  api:\n    image: \"${REGISTRY}/api:${TAG:-latest}\"\n  worker:\n    image: \"${REGISTRY}/api:${TAG:-latest}\"\n    command: celery -A app worker\n",
    );
    init(dir.path(), &["--from", "compose.yml", "--name", "shop"]);
    let text = std::fs::read_to_string(dir.path().join("preview.yaml")).unwrap();
    let spec = kpreview::yaml::value_from_str(&text, kpreview::yaml::Limits::Spec).unwrap();
    let image = |s: &str| spec["spec"]["services"][s]["image"].as_str().unwrap().to_owned();
    assert_eq!(image("api"), "registry.example.com/shop/api:{{ pr.headSha }}");
    assert_eq!(image("worker"), image("api"));
}
