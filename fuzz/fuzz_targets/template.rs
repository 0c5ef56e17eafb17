//! Any text as a template: no panic, and what renders fits the output cap (a string without
//! `{{`, `{%` or `{#` is returned as it is, whatever its length).
#![no_main]

use kpreview::template::{MAX_OUTPUT, PrVars, Templates, Vars};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let vars = Vars {
        name: "shop".into(),
        namespace: Some("shop-pr-7".into()),
        pr: PrVars {
            number: 7,
            head_sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            short_sha: Some("0123456".into()),
            branch: Some("fuzz/$branch".into()),
            branch_slug: Some("fuzz-branch".into()),
        },
        ..Vars::default()
    };
    if let Ok(out) = Templates::new().render(text, &vars) {
        assert!(out.len() <= MAX_OUTPUT.max(text.len()), "{} bytes out", out.len());
    }
});
