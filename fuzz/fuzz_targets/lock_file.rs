//! Any bytes as `preview.lock`: parsing never panics, and what parses writes back to the same.
#![no_main]

use kpreview::spec::lockfile::Lock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(lock) = Lock::parse(text) else { return };
    let written = lock.to_text().expect("a parsed lock writes");
    assert_eq!(Lock::parse(&written).expect("what kpreview writes, it reads"), lock);
});
