//! Load + validate + render of the contract's three examples, and each stage of the largest one
//! on its own. Run with `cargo bench --no-default-features --bench render` (the EC2 and
//! Kubernetes clients are not needed); whole-process comparisons with peers are in scripts/bench.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kpreview::spec::defaults::{Inputs, PrFields};

const SPECS: [(&str, &str); 3] = [
    ("frontend", include_str!("../testdata/shared-frontend/preview.yaml")),
    ("shop", include_str!("../testdata/shared-shop/preview.yaml")),
    ("integrated", include_str!("../testdata/shared-integrated/preview.yaml")),
];

fn inputs() -> Inputs {
    Inputs {
        flags: PrFields {
            number: Some(7),
            head_sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            branch: Some("bench/branch".to_owned()),
        },
        ..Inputs::default()
    }
}

fn end_to_end(c: &mut Criterion) {
    let pr = inputs();
    for (name, text) in SPECS {
        c.bench_function(&format!("spec to YAML/{name}"), |b| {
            b.iter(|| {
                let model = kpreview::prepare(black_box(text), "preview.yaml", &pr, None).expect("valid");
                kpreview::render(&model).to_yaml().expect("writes")
            });
        });
    }
}

fn stages(c: &mut Criterion) {
    let pr = inputs();
    let text = SPECS[2].1;
    let model = kpreview::prepare(text, "preview.yaml", &pr, None).expect("valid");
    let manifests = kpreview::render(&model);
    c.bench_function("stage/load", |b| {
        b.iter(|| kpreview::spec::load::load(black_box(text), "preview.yaml").expect("loads"));
    });
    c.bench_function("stage/load+validate", |b| {
        b.iter(|| kpreview::prepare(black_box(text), "preview.yaml", &pr, None));
    });
    c.bench_function("stage/render", |b| b.iter(|| kpreview::render(black_box(&model))));
    c.bench_function("stage/to_yaml", |b| b.iter(|| black_box(&manifests).to_yaml().expect("writes")));
}

/// The most work one expression can ask for: a value grown to the 16 KiB a value may hold, then
/// 15 more filters over all of it, then cut to nothing so the output cap never stops it.
const WORST_EXPRESSION: &str = "{{ pr.branch|replace('b','bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')|upper|lower|upper|lower|upper|lower|upper|lower|upper|lower|upper|lower|upper|lower|truncate(0) }}";

/// As many worst expressions as the 4 KiB source of one template holds.
pub fn worst_template() -> String {
    let mut template = String::new();
    while template.len() + WORST_EXPRESSION.len() <= kpreview::template::MAX_SOURCE {
        template.push_str(WORST_EXPRESSION);
    }
    template
}

/// A spec of about 1 MiB (the largest read) whose env values are all [`worst_template`], and the
/// longest branch accepted (255), which the first filter grows to nearly the 16 KiB of a value.
pub fn worst_spec() -> (String, String) {
    let template = worst_template();
    let mut text = String::from(
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: x}\nspec:\n  services:\n    a:\n      image: x\n      env:\n",
    );
    let mut i = 0;
    while text.len() + template.len() + 32 < kpreview::yaml::MAX_SPEC_BYTES {
        writeln!(text, "        V{i}: \"{template}\"").expect("writes to a String");
        i += 1;
    }
    (text, "b".repeat(255))
}

fn worst_templates(c: &mut Criterion) {
    let (text, branch) = worst_spec();
    let pr = Inputs { flags: PrFields { branch: Some(branch), ..inputs().flags }, ..Inputs::default() };
    let vars = kpreview::template::Vars {
        pr: kpreview::template::PrVars { branch: Some("b".repeat(255)), ..Default::default() },
        ..Default::default()
    };
    let template = worst_template();
    c.bench_function("template/worst one", |b| {
        b.iter(|| kpreview::template::Templates::new().render(black_box(&template), &vars).expect("renders"));
    });
    c.bench_function("template/spec of worst ones", |b| {
        b.iter(|| kpreview::prepare(black_box(&text), "preview.yaml", &pr, None).expect_err("over the budget"));
    });
}

criterion_group!(benches, end_to_end, stages, worst_templates);
criterion_main!(benches);
