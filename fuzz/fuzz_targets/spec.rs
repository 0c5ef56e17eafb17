//! Any bytes as a spec: loading, validation and rendering never panic, a render always writes,
//! and the same input renders the same bytes twice.
#![no_main]

use kpreview::spec::defaults::{PrFields, Inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let pr = Inputs {
        flags: PrFields { number: Some(7), head_sha: Some("0123456789abcdef0123456789abcdef01234567".into()), branch: Some("fuzz/branch".into()) },
        ..Inputs::default()
    };
    let Ok(model) = kpreview::prepare(text, "fuzz.yaml", &pr, None) else { return };
    let first = kpreview::render(&model).to_yaml().expect("a validated model always renders");
    let again = kpreview::render(&model).to_yaml().expect("renders");
    assert_eq!(first, again, "render is deterministic");
    assert!(!first.is_empty(), "a valid preview never renders to nothing");
});
