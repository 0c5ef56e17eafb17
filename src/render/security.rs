//! Pod Security "restricted" for every pod kpreview renders: non-root, no privilege escalation,
//! every capability dropped, the runtime's default seccomp profile, and no API token unless the
//! pod talks to the API.

use k8s_openapi::api::core::v1::{Capabilities, PodSecurityContext, SeccompProfile, SecurityContext};

/// User id of the kpreview image (distroless `nonroot`), used by the restore and cleanup Jobs.
pub const KPREVIEW_UID: i64 = 65532;

fn runtime_default() -> SeccompProfile {
    SeccompProfile { type_: "RuntimeDefault".to_owned(), localhost_profile: None }
}

/// The pod-level context. `user` pins a uid (images whose `USER` is a name); `fs_group` makes a
/// volume writable by that group, changing ownership only when the volume's root does not match.
pub fn pod(user: Option<i64>, fs_group: Option<i64>) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: user,
        run_as_group: user,
        fs_group,
        fs_group_change_policy: fs_group.map(|_| "OnRootMismatch".to_owned()),
        seccomp_profile: Some(runtime_default()),
        ..PodSecurityContext::default()
    }
}

/// The container-level context.
pub fn container() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_owned()]), add: None }),
        run_as_non_root: Some(true),
        seccomp_profile: Some(runtime_default()),
        ..SecurityContext::default()
    }
}
