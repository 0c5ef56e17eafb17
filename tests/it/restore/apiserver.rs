//! A Kubernetes API server on loopback that speaks what `kpreview restore` needs, over plain
//! HTTP/1.1 with real JSON: create, get, list (label and `metadata.name` field selectors), delete,
//! and watch as a chunked stream of watch events, for any namespaced resource under `/apis`.
//!
//! A test scripts what Velero would do: the status changes a watch then streams, one per event,
//! after which the watch stays open until the client leaves or the server is dropped. Every
//! request is recorded, so a test can check what was asked and that the RBAC the renderer
//! gives the Job allows it.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What Velero does next to a scripted object, streamed to a watch.
#[derive(Debug, Clone)]
pub enum Step {
    /// Replace the object's `status` (a MODIFIED event).
    Status(Value),
    /// Delete the object (a DELETED event).
    Delete,
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `GET`, `POST`, `DELETE`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query parameters, decoded.
    pub query: BTreeMap<String, String>,
    /// The status code answered.
    pub status: u16,
}

impl Call {
    /// The Kubernetes verb: `create`, `get`, `list`, `watch`, `delete`, or the method.
    pub fn verb(&self) -> &str {
        let item = parse_path(&self.path).is_some_and(|p| p.name.is_some());
        match (self.method.as_str(), item) {
            ("POST", false) => "create",
            ("GET", true) => "get",
            ("GET", false) if self.query.get("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
            ("GET", false) => "list",
            ("DELETE", true) => "delete",
            (method, _) => method,
        }
    }

    /// `(group, resource, namespace, name)`, the name of a list or watch coming from its
    /// `metadata.name` field selector as the API server's authorizer takes it.
    pub fn target(&self) -> Option<(String, String, String, Option<String>)> {
        let p = parse_path(&self.path)?;
        let name = p.name.or_else(|| {
            self.query
                .get("fieldSelector")
                .and_then(|f| f.split(',').find_map(|term| term.strip_prefix("metadata.name=").map(str::to_owned)))
        });
        Some((p.group, p.resource, p.namespace, name))
    }
}

/// Whether a Role's `rules` allow `call`, the way Kubernetes RBAC decides: a rule with
/// `resourceNames` matches only requests that name one of them, which a create never does and a
/// list or watch does only through a `metadata.name` field selector.
pub fn allowed(rules: &Value, call: &Call) -> bool {
    let Some((group, resource, _, name)) = call.target() else {
        return false;
    };
    let verb = call.verb();
    let has = |rule: &Value, key: &str, value: &str| {
        rule[key].as_array().is_some_and(|list| list.iter().any(|v| v == value || v == "*"))
    };
    rules.as_array().is_some_and(|rules| {
        rules.iter().any(|rule| {
            let names = rule["resourceNames"].as_array().filter(|n| !n.is_empty());
            has(rule, "apiGroups", &group)
                && has(rule, "resources", &resource)
                && has(rule, "verbs", verb)
                && names.is_none_or(|names| name.as_ref().is_some_and(|n| names.iter().any(|v| v == n)))
        })
    })
}

fn forbidden(call: &Call) -> Value {
    let (group, resource, namespace, name) = call.target().unwrap_or_default();
    let subject = name.map_or_else(|| resource.clone(), |n| format!("{resource}.{group} \"{n}\""));
    failure(
        403,
        "Forbidden",
        &format!(
            "{subject} is forbidden: User \"system:serviceaccount:test:runner\" cannot {} resource \"{resource}\" \
             in API group \"{group}\" in the namespace \"{namespace}\"",
            call.verb()
        ),
    )
}

#[derive(Default)]
struct State {
    /// Objects by collection path (`/apis/g/v/namespaces/ns/plural`) and name.
    objects: BTreeMap<String, BTreeMap<String, Value>>,
    revision: u64,
    scripts: BTreeMap<(String, String), VecDeque<(Duration, Step)>>,
    calls: Vec<Call>,
    /// RBAC rules every request must pass, as the API server's authorizer would check them.
    rules: Option<Value>,
}

/// The server; dropping it stops it.
pub struct ApiServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl ApiServer {
    /// Starts serving on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (state, stop) = (state.clone(), stop.clone());
                    std::thread::spawn(move || serve(stream, &state, &stop));
                }
            })
        };
        Self { url, state, stop, accept: Some(accept) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("server state")
    }

    /// Stores `object` as if it had been created earlier.
    pub fn insert(&self, collection: &str, mut object: Value) {
        let mut state = self.state();
        state.revision += 1;
        let revision = state.revision;
        let name = object["metadata"]["name"].as_str().expect("object has a name").to_owned();
        stamp(&mut object, revision, &name);
        state.objects.entry(collection.to_owned()).or_default().insert(name, object);
    }

    /// What a watch of `collection`/`name` streams, in order, each after its delay.
    pub fn script(&self, collection: &str, name: &str, steps: Vec<(Duration, Step)>) {
        self.state().scripts.insert((collection.to_owned(), name.to_owned()), steps.into());
    }

    /// Answers 403 Forbidden, as the API server does, to every request `rules` (a Role's
    /// `rules`) does not allow.
    pub fn enforce(&self, rules: Value) {
        self.state().rules = Some(rules);
    }

    /// The object now stored, if any.
    pub fn object(&self, collection: &str, name: &str) -> Option<Value> {
        self.state().objects.get(collection).and_then(|c| c.get(name)).cloned()
    }

    /// The names stored in `collection`.
    pub fn names(&self, collection: &str) -> Vec<String> {
        self.state().objects.get(collection).map(|c| c.keys().cloned().collect()).unwrap_or_default()
    }

    /// Every request so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// A kubeconfig for this server (plain HTTP, no credentials), written into `dir`.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"{}\"}}\nusers:\n- name: fake\n  user: {{}}\n\
             contexts:\n- name: fake\n  context: {{cluster: fake, user: fake, namespace: default}}\ncurrent-context: fake\n",
            self.url
        );
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A parsed `/apis/<group>/<version>/namespaces/<ns>/<resource>[/<name>]`.
struct ApiPath {
    collection: String,
    group: String,
    resource: String,
    namespace: String,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<ApiPath> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["apis", group, version, "namespaces", namespace, resource, rest @ ..] if rest.len() <= 1 => Some(ApiPath {
            collection: format!("/apis/{group}/{version}/namespaces/{namespace}/{resource}"),
            group: (*group).to_owned(),
            resource: (*resource).to_owned(),
            namespace: (*namespace).to_owned(),
            name: rest.first().map(|n| (*n).to_owned()),
        }),
        _ => None,
    }
}

fn stamp(object: &mut Value, revision: u64, name: &str) {
    let meta = &mut object["metadata"];
    meta["resourceVersion"] = json!(revision.to_string());
    if meta.get("uid").is_none() {
        meta["uid"] = json!(format!("uid-{name}"));
        meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    }
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Request { method, path: path.to_owned(), query, body })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let Ok(writer) = stream.try_clone() else { return };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let watch = request.method == "GET" && request.query.get("watch").is_some_and(|w| w == "true" || w == "1");
        if watch {
            stream_watch(&mut writer, &request, state, stop);
            return;
        }
        let (status, body) = answer(&request, &mut state.lock().expect("server state"));
        let text = body.to_string();
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reason(status),
            text.len()
        );
        if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(text.as_bytes())).is_err() {
            return;
        }
    }
}

fn record(state: &mut State, request: &Request, status: u16) {
    state.calls.push(Call {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        status,
    });
}

fn failure(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

fn answer(request: &Request, state: &mut State) -> (u16, Value) {
    let (status, body) = match refused(request, state) {
        Some(body) => (403, body),
        None => route(request, state),
    };
    record(state, request, status);
    (status, body)
}

/// The 403 answer when enforced rules do not allow `request`.
fn refused(request: &Request, state: &State) -> Option<Value> {
    let rules = state.rules.as_ref()?;
    let call =
        Call { method: request.method.clone(), path: request.path.clone(), query: request.query.clone(), status: 0 };
    (!allowed(rules, &call)).then(|| forbidden(&call))
}

fn route(request: &Request, state: &mut State) -> (u16, Value) {
    let Some(path) = parse_path(&request.path) else {
        return (404, failure(404, "NotFound", &format!("the server could not find {}", request.path)));
    };
    let kind_of = |object: &Value| object["kind"].as_str().unwrap_or("Object").to_owned();
    match (request.method.as_str(), &path.name) {
        ("POST", None) => {
            let Ok(mut object) = serde_json::from_slice::<Value>(&request.body) else {
                return (400, failure(400, "BadRequest", "the body is not JSON"));
            };
            let Some(name) = object["metadata"]["name"].as_str().map(str::to_owned) else {
                return (422, failure(422, "Invalid", "metadata.name: Required value"));
            };
            if state.objects.get(&path.collection).is_some_and(|c| c.contains_key(&name)) {
                let message = format!("{}.{} \"{name}\" already exists", path.resource, path.group);
                return (409, failure(409, "AlreadyExists", &message));
            }
            object["metadata"]["namespace"] = json!(path.namespace);
            state.revision += 1;
            stamp(&mut object, state.revision, &name);
            state.objects.entry(path.collection).or_default().insert(name, object.clone());
            (201, object)
        }
        ("GET", Some(name)) => match state.objects.get(&path.collection).and_then(|c| c.get(name)) {
            Some(object) => (200, object.clone()),
            None => (404, failure(404, "NotFound", &format!("{}.{} \"{name}\" not found", path.resource, path.group))),
        },
        ("GET", None) => {
            let items: Vec<Value> = state
                .objects
                .get(&path.collection)
                .map(|c| c.values().filter(|o| selected(o, &request.query)).cloned().collect())
                .unwrap_or_default();
            let kind = items.first().map_or_else(|| "List".to_owned(), |o| format!("{}List", kind_of(o)));
            let items: Vec<Value> = items
                .into_iter()
                .map(|mut o| {
                    // The API server leaves apiVersion and kind out of list items.
                    if let Some(map) = o.as_object_mut() {
                        map.remove("apiVersion");
                        map.remove("kind");
                    }
                    o
                })
                .collect();
            (
                200,
                json!({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": state.revision.to_string()},
                       "items": items}),
            )
        }
        ("DELETE", Some(name)) => match state.objects.get_mut(&path.collection).and_then(|c| c.remove(name)) {
            Some(object) => {
                state.revision += 1;
                (200, object)
            }
            None => (404, failure(404, "NotFound", &format!("{}.{} \"{name}\" not found", path.resource, path.group))),
        },
        _ => (405, failure(405, "MethodNotAllowed", &format!("{} is not served here", request.method))),
    }
}

/// Equality-based label selectors (`a=b,c!=d`) and `metadata.name` field selectors.
fn selected(object: &Value, query: &BTreeMap<String, String>) -> bool {
    let labels = &object["metadata"]["labels"];
    let labels_ok = query.get("labelSelector").is_none_or(|selector| {
        selector.split(',').filter(|t| !t.is_empty()).all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels[k].as_str() != Some(v)
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k].as_str() == Some(v)
            } else {
                labels.get(term).is_some()
            }
        })
    });
    let fields_ok = query.get("fieldSelector").is_none_or(|selector| {
        selector.split(',').filter(|t| !t.is_empty()).all(|term| match term.strip_prefix("metadata.name=") {
            Some(name) => object["metadata"]["name"].as_str() == Some(name),
            None => false,
        })
    });
    labels_ok && fields_ok
}

fn stream_watch(writer: &mut TcpStream, request: &Request, state: &Mutex<State>, stop: &AtomicBool) {
    let name = request
        .query
        .get("fieldSelector")
        .and_then(|f| f.split(',').find_map(|t| t.strip_prefix("metadata.name=").map(str::to_owned)));
    let refusal = {
        let mut state = state.lock().expect("server state");
        let refusal = match (&name, refused(request, &state)) {
            (_, Some(body)) => Some((403, body)),
            (None, None) => {
                Some((400, failure(400, "BadRequest", "this server watches single objects by metadata.name")))
            }
            (Some(_), None) => None,
        };
        record(&mut state, request, refusal.as_ref().map_or(200, |r| r.0));
        refusal
    };
    let (Some(path), Some(name), None) = (parse_path(&request.path), name, &refusal) else {
        let (status, body) = refusal.unwrap_or_else(|| (404, failure(404, "NotFound", "no such resource")));
        let text = body.to_string();
        let _ = write!(
            writer,
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
            reason(status),
            text.len()
        );
        return;
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if writer.write_all(head.as_bytes()).and_then(|()| writer.flush()).is_err() {
        return;
    }
    loop {
        let next = state
            .lock()
            .expect("server state")
            .scripts
            .get_mut(&(path.collection.clone(), name.clone()))
            .and_then(VecDeque::pop_front);
        let Some((delay, change)) = next else { break };
        if !pause(delay, stop) {
            return;
        }
        let event = {
            let mut state = state.lock().expect("server state");
            state.revision += 1;
            let revision = state.revision;
            let objects = state.objects.entry(path.collection.clone()).or_default();
            match change {
                Step::Status(status) => objects.get_mut(&name).map(|object| {
                    object["status"] = status;
                    stamp(object, revision, &name);
                    json!({"type": "MODIFIED", "object": object})
                }),
                Step::Delete => objects.remove(&name).map(|mut object| {
                    stamp(&mut object, revision, &name);
                    json!({"type": "DELETED", "object": object})
                }),
            }
        };
        if let Some(event) = event {
            let line = format!("{event}\n");
            let chunk = format!("{:x}\r\n{line}\r\n", line.len());
            if writer.write_all(chunk.as_bytes()).and_then(|()| writer.flush()).is_err() {
                return;
            }
        }
    }
    let hold = request.query.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(30).min(30);
    if pause(Duration::from_secs(hold), stop) {
        let _ = writer.write_all(b"0\r\n\r\n");
    }
}

/// Sleeps for `delay` unless the server stops first; `false` when it stopped.
fn pause(delay: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
    }
    !stop.load(Ordering::SeqCst)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        _ => "Error",
    }
}
