//! Any bytes as a `ResourceList` on stdin: reading never panics; what reads, the function
//! processes and writes back; every input item comes back first, in order and equal (kpt deletes
//! the file of an item a function drops or changes by mistake), and the output reads again.
#![no_main]

use kpreview::krm::{Env, ResourceList, process};
use kpreview::spec::defaults::{PrEnv, PrFields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(list) = ResourceList::parse(text) else { return };
    let before: Vec<_> = list.items.iter().map(|i| i.object().clone()).collect();
    let no_file = kpreview::files::Memory::new();
    let env = Env {
        flags: PrFields::default(),
        pr_env: PrEnv::default(),
        cwd: std::path::PathBuf::from("/fuzz"),
        files: &no_file,
        image: None,
        policy: kpreview::policy::Policy::default(),
    };
    let out = process(list, &env);
    let written = out.to_yaml().expect("a processed list writes");
    let again = ResourceList::parse(&written).expect("what the function writes, it reads");
    assert!(again.items.len() >= before.len(), "items were dropped");
    for (i, original) in before.iter().enumerate() {
        let mut came_back = again.items[i].object().clone();
        // The one change the function makes to input items: specs become local config.
        let local = came_back
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(|a| a.as_object_mut())
            .and_then(|a| a.remove("config.kubernetes.io/local-config"));
        let mut expected = original.clone();
        if local.is_some() {
            if let Some(a) = expected.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(|a| a.as_object_mut()) {
                a.remove("config.kubernetes.io/local-config");
            }
        }
        if came_back != expected {
            let empty = |o: &serde_json::Map<String, serde_json::Value>| o.get("metadata").and_then(|m| m.get("annotations")).is_some_and(|a| a.as_object().is_some_and(serde_json::Map::is_empty));
            assert!(empty(&came_back) && !empty(&expected), "item {i} changed:\n{original:?}\n{came_back:?}");
        }
    }
});
