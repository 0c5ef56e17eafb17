//! Load + validate + render of the contract's three examples, and each stage of the largest one
//! on its own. Run with `cargo bench --no-default-features --bench render` (the EC2 and
//! Kubernetes clients are not needed); whole-process comparisons with peers are in scripts/bench.

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

criterion_group!(benches, end_to_end, stages);
criterion_main!(benches);
