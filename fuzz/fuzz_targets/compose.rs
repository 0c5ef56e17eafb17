//! Any bytes as a docker-compose file for `kpreview init`: never a panic, and whatever `init`
//! makes of it validates (it checks that itself; `Invalid` is its own bug, never the input's).
#![no_main]

use kpreview::compose::{InitError, Options, from_compose};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let options = Options { profiles: vec!["debug".to_owned()], ..Options::default() };
    if let Err(InitError::Invalid { problems, .. }) = from_compose(text, "compose.yaml", &options) {
        panic!("init made a spec that does not validate: {problems}");
    }
});
