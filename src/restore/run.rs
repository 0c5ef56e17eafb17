//! The restore runner: create the Restore (or adopt the one an earlier attempt made), then watch
//! it by name until Velero ends it or the time is up.
//!
//! The Job's Role may create Restores but read only its own, by name; list and watch are allowed
//! on a named object only with a `metadata.name` field selector, which is how this watches.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Error as KubeError};
use tokio::time::{Instant, timeout_at};

use super::crd::{Restore, RestoreStatus};
use super::error::{EmptyRestore, RestoreError, api_message, watch_message};
use super::phase::{Outcome, details, outcome, phase, summary, too_few_items};
use super::request::Request;

/// How a run ended well.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Whether the Restore was made by an earlier attempt.
    pub adopted: bool,
    /// Its final status.
    pub status: Option<RestoreStatus>,
}

/// Creates or adopts the Restore of `request` and waits, at most `timeout` (given as
/// `timeout_text` in messages), until it ends; `Ok` only when it ends `Completed`. Progress goes
/// to `log`, once per change.
pub async fn run(
    client: Client,
    request: &Request,
    timeout: Duration,
    timeout_text: &str,
    mut log: impl FnMut(String),
) -> Result<Finished, RestoreError> {
    let deadline = Instant::now() + timeout;
    let api: Api<Restore> = Api::namespaced(client, &request.velero_namespace);
    let timed_out = |last: &str| RestoreError::Timeout {
        namespace: request.velero_namespace.clone(),
        name: request.name(),
        after: timeout_text.to_owned(),
        last: last.to_owned(),
    };
    let (restore, adopted) = timeout_at(deadline, create_or_adopt(&api, request, &mut log))
        .await
        .map_err(|_| timed_out("not created yet"))??;
    let mut last = summary(restore.status.as_ref());
    if let Some(done) = settle(request, restore.status, adopted)? {
        return Ok(uncounted(request, done, &mut log));
    }
    let config = watcher::Config::default().fields(&format!("metadata.name={}", request.name()));
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let mut seen = false;
    loop {
        let event = match timeout_at(deadline, events.next()).await {
            Err(_) => return Err(timed_out(&last)),
            Ok(None) => return Err(RestoreError::Deleted { reference: request.reference() }),
            Ok(Some(event)) => event,
        };
        match event {
            Ok(Event::Init) => seen = false,
            Ok(Event::InitApply(restore) | Event::Apply(restore)) => {
                seen = true;
                let now = summary(restore.status.as_ref());
                if now != last {
                    log(format!("Restore {}: {now}", request.reference()));
                    last = now;
                }
                if let Some(done) = settle(request, restore.status, adopted)? {
                    return Ok(uncounted(request, done, &mut log));
                }
            }
            Ok(Event::InitDone) if !seen => return Err(RestoreError::Deleted { reference: request.reference() }),
            Ok(Event::InitDone) => {}
            Ok(Event::Delete(_)) => return Err(RestoreError::Deleted { reference: request.reference() }),
            Err(error) if fatal(&error) => {
                return Err(RestoreError::Watch { reference: request.reference(), message: watch_message(&error) });
            }
            Err(error) => {
                log(format!(
                    "watch of Restore {} interrupted ({}); retrying",
                    request.reference(),
                    watch_message(&error)
                ));
            }
        }
    }
}

/// Adopts the Restore an earlier attempt made, else creates it; a Restore created between the
/// two requests (another pod of the same Job) is adopted too.
async fn create_or_adopt(
    api: &Api<Restore>,
    request: &Request,
    log: &mut impl FnMut(String),
) -> Result<(Restore, bool), RestoreError> {
    let reference = request.reference();
    let read = |e| RestoreError::Api { action: format!("read Restore {reference}"), message: api_message(&e) };
    if let Some(existing) = api.get_opt(&request.name()).await.map_err(read)? {
        return adopt(request, existing, log);
    }
    match api.create(&PostParams::default(), &request.restore()).await {
        Ok(created) => {
            log(format!(
                "created Restore {reference}: backup {} from namespace {} into {}{}",
                request.backup,
                request.from,
                request.to,
                stores_text(request)
            ));
            Ok((created, false))
        }
        Err(KubeError::Api(status)) if status.code == 409 => {
            let existing = api.get(&request.name()).await.map_err(read)?;
            adopt(request, existing, log)
        }
        Err(e) => Err(RestoreError::Api { action: format!("create Restore {reference}"), message: api_message(&e) }),
    }
}

fn adopt(request: &Request, existing: Restore, log: &mut impl FnMut(String)) -> Result<(Restore, bool), RestoreError> {
    if let Some(why) = request.conflict(&existing) {
        return Err(RestoreError::Conflict { namespace: request.velero_namespace.clone(), name: request.name(), why });
    }
    log(format!(
        "adopting Restore {}, made by an earlier attempt: {}",
        request.reference(),
        summary(existing.status.as_ref())
    ));
    Ok((existing, true))
}

/// `Some` when the Restore has ended well, an error when it ended badly, `None` while it runs.
fn settle(request: &Request, status: Option<RestoreStatus>, adopted: bool) -> Result<Option<Finished>, RestoreError> {
    match outcome(status.as_ref()) {
        Outcome::Running => Ok(None),
        Outcome::Completed => match too_few_items(status.as_ref(), request.stores.len()) {
            None => Ok(Some(Finished { adopted, status })),
            Some(restored) => Err(RestoreError::Empty(Box::new(EmptyRestore {
                namespace: request.velero_namespace.clone(),
                name: request.name(),
                restored,
                stores: request.stores.clone(),
                backup: request.backup.clone(),
                base: request.from.clone(),
            }))),
        },
        Outcome::Failed => Err(RestoreError::Ended {
            namespace: request.velero_namespace.clone(),
            name: request.name(),
            when: if adopted { "had already ended" } else { "ended" },
            phase: phase(status.as_ref()).to_owned(),
            details: details(status.as_ref()),
        }),
    }
}

/// Says so when Velero reported no item count, so nothing could check that the stores' claims
/// were found.
fn uncounted(request: &Request, done: Finished, log: &mut impl FnMut(String)) -> Finished {
    if done.status.as_ref().and_then(|s| s.progress.as_ref()).and_then(|p| p.items_restored).is_none() {
        log(format!(
            "Velero reported no item count for Restore {}, so kpreview cannot tell whether it found the claims; \
             if a store starts empty, check the kpreview.dev/store labels on the claims in namespace {}",
            request.reference(),
            request.from
        ));
    }
    done
}

fn stores_text(request: &Request) -> String {
    if request.stores.is_empty() { String::new() } else { format!(" (stores {})", request.stores.join(", ")) }
}

/// Errors no retry can fix: a request the API refuses, the credentials, the RBAC, or Velero's
/// CRD being absent.
fn fatal(error: &watcher::Error) -> bool {
    let code = match error {
        watcher::Error::InitialListFailed(KubeError::Api(status))
        | watcher::Error::WatchStartFailed(KubeError::Api(status))
        | watcher::Error::WatchFailed(KubeError::Api(status))
        | watcher::Error::WatchError(status) => status.code,
        _ => return false,
    };
    matches!(code, 400 | 401 | 403 | 404)
}
