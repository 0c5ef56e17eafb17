//! Hostile specs are refused in bounded time and memory, with a clear message and nothing
//! written; the same input renders the same bytes whatever the environment; strings a YAML 1.1
//! reader would misread come back unchanged through real `kubectl kustomize`.
//!
//! Time and memory bounds here are generous safety limits (a hang or an explosion fails them),
//! not performance claims: those are measured in `benches/` and `scripts/bench`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::golden::cases;
use crate::support::{describe, kpreview, kpreview_path, python, root, tempdir, validate_manifests, write};

/// Runs the binary through Python to read its peak memory (`ru_maxrss` of the child, KiB).
fn measured(args: &[&str], cwd: &Path) -> (Output, Duration, u64) {
    let script = "import resource, subprocess, sys\n\
        p = subprocess.run(sys.argv[1:], capture_output=True)\n\
        sys.stdout.buffer.write(p.stdout[-4000:])\n\
        sys.stderr.buffer.write(p.stderr[-4000:])\n\
        sys.stderr.write('\\nMAXRSS_KIB=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
        sys.exit(p.returncode)\n";
    let start = Instant::now();
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(kpreview_path())
        .args(args)
        .current_dir(cwd)
        .env_remove("PREVIEW_PR_NUMBER")
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kib = stderr.lines().find_map(|l| l.strip_prefix("MAXRSS_KIB=")).and_then(|n| n.parse().ok()).expect("maxrss");
    (output, elapsed, kib)
}

fn refused(name: &str, text: &str, expect: &str) {
    refused_saying(name, text, &[expect]);
}

fn refused_saying(name: &str, text: &str, expected: &[&str]) {
    let dir = tempdir();
    write(dir.path(), "preview.yaml", text);
    let (output, elapsed, kib) = measured(&["render", "preview.yaml", "-o", "out"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{name}: {}", describe(&output));
    for expect in expected {
        assert!(stderr.contains(expect), "{name}: expected {expect:?} in\n{stderr}");
    }
    assert!(elapsed < Duration::from_secs(10), "{name}: took {elapsed:?}");
    assert!(kib < 256 * 1024, "{name}: peak memory {kib} KiB");
    assert!(!dir.path().join("out").exists(), "{name}: nothing is written");
}

const HEAD: &str =
    "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: x}\nspec:\n  pullRequest: {number: 1}\n";

#[test]
fn an_alias_bomb_is_refused() {
    // A billion laughs inside a field kpreview does not know: ignoring it must not expand it.
    let mut doc = format!(
        "{HEAD}  services: {{a: {{image: x}}}}\n  lols:\n    - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    );
    for i in 1..10 {
        let refs = (0..9).map(|_| format!("*a{}", i - 1)).collect::<Vec<_>>().join(", ");
        writeln!(doc, "    - &a{i} [{refs}]").unwrap();
    }
    doc.push_str("  bomb: *a9\n");
    refused("alias bomb", &doc, "aliases expand to too much");
}

#[test]
fn deep_nesting_is_refused() {
    // Under a field kpreview does not know, so nothing but the parser's budget can stop it.
    let depth = 100_000;
    let text = format!("{HEAD}  services: {{a: {{image: x}}}}\n  deep: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    refused("flow nesting", &text, "nested too deeply");
    let mut block = format!("{HEAD}  services: {{a: {{image: x}}}}\n  deep:\n");
    for level in 0..300 {
        writeln!(block, "{}k{level}:", " ".repeat(4 + 2 * level)).unwrap();
    }
    refused("block nesting", &block, "nested too deeply");
}

#[test]
fn a_huge_document_is_refused_before_it_is_read_whole() {
    let mut text = String::with_capacity(100 << 20);
    text.push_str(HEAD);
    text.push_str("  services:\n    a:\n      image: x\n      env:\n");
    let mut i = 0;
    while text.len() < 100 << 20 {
        writeln!(text, "        V{i}: \"{}\"", "x".repeat(100)).unwrap();
        i += 1;
    }
    refused("100 MB spec", &text, "larger than");
}

#[test]
fn templates_that_loop_or_explode_are_refused() {
    let loops = format!(
        "{HEAD}  services:\n    a:\n      image: x\n      env:\n        A: \"{{% for i in range(1000) %}}{{% for j in range(1000) %}}{{% for k in range(1000) %}}{{% endfor %}}{{% endfor %}}{{% endfor %}}\"\n"
    );
    refused("nested loops", &loops, "`{% for %}` is not allowed");
    let grows = format!("{HEAD}  services:\n    a:\n      image: \"{{{{ 'x' * 1000000000 }}}}\"\n");
    refused("string repetition", &grows, "`*` is not allowed");
    let concat = format!(
        "{HEAD}  services:\n    a:\n      image: \"{{{{ (name ~ name ~ name) | replace('x', name * 9) }}}}\"\n"
    );
    refused("concatenation", &concat, "not allowed");
    // Issue 17's amplifier: 525 bytes of nested one-item loops concatenating with `~` built a
    // 268 MB string in minijinja.
    let mut amplifier = "{{ s }}".to_owned();
    for level in 0..8 {
        amplifier = format!("{{% for i{level} in [1] %}}{{% set s = s ~ s ~ s ~ s ~ s %}}{amplifier}{{% endfor %}}");
    }
    let text = format!("{HEAD}  services:\n    a:\n      image: x\n      env:\n        A: '{amplifier}'\n");
    refused("nested one-item loops", &text, "is not allowed: kpreview templates hold");
}

#[test]
fn tens_of_thousands_of_unknown_fields_are_counted_in_bounded_time() {
    // The reviewer's case: 40,000 unknown keys (~630 KB) took 88 s when every one rebuilt the JSON
    // Schema for its suggestion.
    let mut text = format!("{HEAD}  services: {{a: {{image: x}}}}\n");
    for i in 0..40_000 {
        writeln!(text, "  unknownField{i}: 1").unwrap();
    }
    assert!(text.len() > 600_000);
    refused("40,000 unknown fields", &text, "and 39950 more unknown fields");
}

#[test]
fn thousands_of_growing_templates_share_one_budget() {
    // Each value grows `pr.branch` (255 characters, the longest accepted) to nearly the 16 KiB a
    // value may hold; 5,000 of them would make 80 MB, past the spec's 16 MiB of template work.
    let grow = format!("{{{{ pr.branch | replace('b', '{}') }}}}", "b".repeat(64));
    let mut text = format!("{HEAD}  services:\n    a:\n      image: x\n      env:\n");
    for i in 0..5_000 {
        writeln!(text, "        V{i}: \"{grow}\"").unwrap();
    }
    let dir = tempdir();
    write(dir.path(), "preview.yaml", &text);
    let branch = "b".repeat(255);
    let (output, elapsed, kib) = measured(&["render", "preview.yaml", "--branch", &branch, "-o", "out"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(stderr.contains("the spec's templates together"), "{stderr}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(kib < 256 * 1024, "peak memory {kib} KiB");
}

#[test]
fn the_same_input_renders_the_same_bytes_anywhere() {
    let spec = root().join("examples/shop/preview.yaml");
    let baseline = kpreview().arg("render").arg(&spec).output().unwrap();
    assert!(baseline.status.success(), "{}", describe(&baseline));
    let elsewhere = tempdir();
    let env_variants: [&[(&str, &str)]; 3] = [
        &[("LANG", "tr_TR.UTF-8"), ("LC_ALL", "tr_TR.UTF-8"), ("TZ", "Pacific/Kiritimati")],
        &[("HOME", "/nonexistent"), ("XDG_CONFIG_HOME", "/tmp/elsewhere"), ("KUBECONFIG", "/dev/null")],
        &[("RUST_LOG", "trace"), ("COLUMNS", "20"), ("NO_COLOR", "1")],
    ];
    for vars in env_variants {
        let mut cmd = kpreview();
        cmd.arg("render").arg(&spec).current_dir(elsewhere.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.stdout, baseline.stdout, "render differs with {vars:?}");
    }
    // Reordering the maps of the spec changes nothing.
    let text = std::fs::read_to_string(&spec).unwrap();
    let reordered = reorder_services(&text);
    assert_ne!(reordered, text);
    let dir = tempdir();
    let moved = write(dir.path(), "preview.yaml", &reordered);
    let output = kpreview().arg("render").arg(&moved).output().unwrap();
    assert_eq!(output.stdout, baseline.stdout, "map order of the spec leaks into the output");
}

/// Moves the `web` service block of the shop example before `api`.
fn reorder_services(text: &str) -> String {
    let start = text.find("    web:\n").expect("web");
    let end = text[start..].find("  dependencies:").map(|i| start + i).expect("dependencies");
    let web = &text[start..end];
    let without = format!("{}{}", &text[..start], &text[end..]);
    without.replacen("    api:\n", &format!("{web}    api:\n"), 1)
}

#[test]
fn yaml_1_1_ambiguous_strings_survive_kubectl_kustomize() {
    let case = cases().into_iter().find(|c| c.name == "yaml-ambiguous-strings").expect("case");
    let dir = tempdir();
    let out = dir.path().join("base");
    let output = kpreview().current_dir(&case.dir).args(["render", "preview.yaml", "-o"]).arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let mut files: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    write(
        &out,
        "kustomization.yaml",
        &files.iter().fold(String::from("resources:\n"), |mut k, f| {
            writeln!(k, "- {f}").unwrap();
            k
        }),
    );
    let built = Command::new("kubectl").arg("kustomize").arg(&out).output().expect("kubectl");
    assert!(built.status.success(), "{}", describe(&built));
    let stream = String::from_utf8(built.stdout).unwrap();
    validate_manifests("kubectl kustomize output", &stream);

    // Read back with PyYAML (a YAML 1.1 loader, as Go's readers are) and compare every value
    // with what the spec says, read as YAML 1.2 text by kpreview.
    let script = "import sys, yaml, json\n\
        docs = [d for d in yaml.safe_load_all(sys.stdin) if d]\n\
        dep = next(d for d in docs if d['kind'] == 'Deployment')\n\
        env = dep['spec']['template']['spec']['containers'][0]['env']\n\
        print(json.dumps({e['name']: e['value'] for e in env}))\n";
    let read = crate::support::run_with_stdin(Command::new(python()).arg("-c").arg(script), stream.as_bytes());
    assert!(read.status.success(), "{}", describe(&read));
    let env: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&read.stdout).unwrap();
    let expected = [
        ("FEATURE_ON", "on"),
        ("FEATURE_OFF", "off"),
        ("ANSWER_YES", "yes"),
        ("ANSWER_NO", "no"),
        ("SINGLE_Y", "y"),
        ("SINGLE_N", "n"),
        ("CLOCK", "12:30"),
        ("GROUPED", "1_000"),
        ("DATE", "2024-01-01"),
        ("OCTAL", "0755"),
        ("HEX", "0x1F"),
        ("EXPONENT", "1e3"),
        ("FLOAT", "1.50"),
        ("TILDE", "~"),
        ("NULL_WORD", "null"),
        ("TRUE_UPPER", "TRUE"),
        ("INFINITY", ".inf"),
        ("NOT_A_NUMBER", ".nan"),
        ("DASH", "-"),
        ("EMPTY", ""),
        ("LEADING_SPACE", " padded"),
        ("COLON_SPACE", "key: value"),
        ("HASH", "#not-a-comment"),
        ("MULTILINE", "line one\nline two"),
    ];
    for (name, value) in expected {
        assert_eq!(env.get(name), Some(&serde_json::Value::String(value.to_owned())), "{name}");
    }
    assert_eq!(env.len(), expected.len());
}

/// Every committed fuzz input (seed corpora and fixed crashers) keeps the fuzz targets'
/// properties in every `cargo test`, without the fuzzer: no panic, a valid spec renders the same
/// bytes twice, a compose file gives a spec that validates or an error, a lock that parses writes
/// back to itself.
#[test]
fn committed_fuzz_inputs_keep_their_properties() {
    use kpreview::spec::defaults::{Inputs, PrFields};
    use kpreview::spec::lockfile::Lock;
    let inputs = |target: &str| -> Vec<std::path::PathBuf> {
        ["corpus", "regressions"]
            .iter()
            .flat_map(|kind| std::fs::read_dir(root().join("fuzz").join(kind).join(target)).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect()
    };
    let pr = Inputs {
        flags: PrFields {
            number: Some(7),
            head_sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some("fuzz/branch".into()),
        },
        ..Inputs::default()
    };
    let specs = inputs("spec");
    assert!(specs.len() > 20, "the spec corpus is committed");
    for path in specs {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if let Ok(model) = kpreview::prepare(&text, "fuzz.yaml", &pr, None) {
            let first = kpreview::render(&model).to_yaml().unwrap();
            assert_eq!(first, kpreview::render(&model).to_yaml().unwrap(), "{}", path.display());
        }
    }
    let composes = inputs("compose");
    assert!(composes.len() >= 4, "the compose corpus is committed");
    for path in composes {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let options = kpreview::compose::Options { profiles: vec!["debug".to_owned()], ..Default::default() };
        if let Err(kpreview::compose::InitError::Invalid { problems, .. }) =
            kpreview::compose::from_compose(&text, "compose.yaml", &options)
        {
            panic!("{}: init made a spec that does not validate: {problems}", path.display());
        }
    }
    let vars = kpreview::template::Vars { name: "shop".into(), ..Default::default() };
    for path in inputs("template") {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if let Ok(out) = kpreview::template::Templates::new().render(&text, &vars) {
            assert!(out.len() <= kpreview::template::MAX_OUTPUT.max(text.len()), "{}", path.display());
        }
    }
    for path in inputs("lock_file") {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if let Ok(lock) = Lock::parse(&text) {
            assert_eq!(Lock::parse(&lock.to_text().unwrap()).unwrap(), lock, "{}", path.display());
        }
    }
}
