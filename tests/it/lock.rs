//! `kpreview lock` against a real EC2 API on loopback: PyPI moto in server mode, started by the
//! tests through `fixtures/moto_ec2.py` (which adds the paging and owner filtering moto's
//! DescribeSnapshots lacks) and seeded with aws-sdk-ec2. Each test works in its own region, so
//! they share one server; the credentials test has a server of its own.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use kpreview::spec::lockfile::Lock;

use crate::support::{describe, kpreview, python, root, tempdir, write};

/// The account moto gives every caller that does not say otherwise.
const ACCOUNT: &str = "123456789012";

/// A moto server; it exits when its stdin closes, so also when the test process ends.
struct Moto {
    child: Child,
    _stdin: ChildStdin,
    url: String,
}

impl Moto {
    fn start(args: &[&str]) -> Self {
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto{}.log", args.join("")));
        let mut child = Command::new(python())
            .arg(root().join("tests/it/fixtures/moto_ec2.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("moto log"))
            .spawn()
            .expect("start moto");
        let stdin = child.stdin.take().expect("moto stdin");
        let stdout = child.stdout.take().expect("moto stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
        let Some(port) = line.trim().strip_prefix("port ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("moto did not start:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        };
        Self { url: format!("http://127.0.0.1:{port}"), child, _stdin: stdin }
    }

    /// The server the tests share.
    fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(|| Moto::start(&[]))
    }

    /// An EC2 client of `region` on this server, for seeding.
    fn ec2(&self, region: &str) -> Ec2 {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Ec2 { client: Client::from_conf(config), runtime, region: region.to_owned() }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seeding snapshots the way a backup job would.
struct Ec2 {
    client: Client,
    runtime: tokio::runtime::Runtime,
    region: String,
}

impl Ec2 {
    fn volume(&self, gib: i32) -> String {
        let created = self
            .runtime
            .block_on(self.client.create_volume().availability_zone(format!("{}a", self.region)).size(gib).send())
            .expect("create volume");
        created.volume_id().expect("volume id").to_owned()
    }

    /// A snapshot of `volume` with `tags`, started at `start`; `pending` leaves it unfinished.
    fn snapshot(&self, volume: &str, tags: &[(&str, &str)], start: &str, pending: bool) -> String {
        let mut spec = TagSpecification::builder().resource_type(ResourceType::Snapshot);
        for (key, value) in tags {
            spec = spec.tags(Tag::builder().key(*key).value(*value).build());
        }
        let description = format!("start={start}{}", if pending { " status=pending" } else { "" });
        let created = self
            .runtime
            .block_on(
                self.client
                    .create_snapshot()
                    .volume_id(volume)
                    .description(description)
                    .tag_specifications(spec.build())
                    .send(),
            )
            .expect("create snapshot");
        created.snapshot_id().expect("snapshot id").to_owned()
    }

    /// A snapshot another account owns (moto's public AMIs come with them), tagged with `tags`.
    fn foreign_snapshot(&self, tags: &[(&str, &str)]) -> String {
        let listed = self.runtime.block_on(self.client.describe_snapshots().send()).expect("describe snapshots");
        let foreign = listed
            .snapshots()
            .iter()
            .find(|s| s.owner_id().is_some_and(|owner| owner != ACCOUNT))
            .and_then(|s| s.snapshot_id())
            .expect("moto lists snapshots of other accounts")
            .to_owned();
        let tags: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect();
        self.runtime
            .block_on(self.client.create_tags().resources(&foreign).set_tags(Some(tags)).send())
            .expect("tag snapshot");
        foreign
    }
}

const SPEC: &str = "\
apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata: {name: blog}
spec:
  pullRequest: {number: 7, headSha: 4f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d}
  services:
    web: {image: registry.example.com/blog/web:1, port: 3000, dependsOn: [db, cache]}
  dataStores:
    db: {engine: postgres, storage: 20Gi, seed: {snapshot: {tags: {app: blog, purpose: preview-seed}}}}
    cache: {engine: redis, storage: 1Gi, seed: {snapshot: {tags: {app: blog, store: cache}}}}
";

/// `kpreview lock SPEC --region R --endpoint-url URL …` with test credentials and nothing from
/// the machine's AWS configuration.
fn lock(spec: &Path, region: &str, url: &str, extra: &[&str]) -> Output {
    let home = tempdir();
    let mut cmd = kpreview();
    for var in ["AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"] {
        cmd.env_remove(var);
    }
    cmd.arg("lock")
        .arg(spec)
        .args(["--region", region, "--endpoint-url", url])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("credentials"))
        .output()
        .expect("run kpreview lock")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read_lock(dir: &Path) -> Lock {
    Lock::parse(&std::fs::read_to_string(dir.join("preview.lock")).expect("preview.lock")).expect("a lock")
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

const DB: [(&str, &str); 2] = [("app", "blog"), ("purpose", "preview-seed")];
const CACHE: [(&str, &str); 2] = [("app", "blog"), ("store", "cache")];

#[test]
fn the_newest_completed_snapshot_with_every_tag_is_pinned_from_every_page() {
    let moto = Moto::shared();
    let ec2 = moto.ec2("eu-west-1");
    let volume = ec2.volume(20);
    let mut newest = String::new();
    // Listed in creation order, five to a page: the newest is on the last page, but not last.
    for day in [3, 9, 1, 5, 11, 2, 8, 10, 4, 7, 12, 6] {
        let id = ec2.snapshot(&volume, &DB, &format!("2026-03-{day:02}T02:14:09Z"), false);
        if day == 12 {
            newest = id;
        }
    }
    ec2.snapshot(&volume, &DB, "2026-04-01T00:00:00Z", true);
    ec2.snapshot(&volume, &[("app", "blog")], "2026-05-01T00:00:00Z", false);
    ec2.snapshot(&volume, &[("app", "blog"), ("purpose", "other")], "2026-05-02T00:00:00Z", false);
    ec2.snapshot(&volume, &[("app", "shop"), ("purpose", "preview-seed")], "2026-05-03T00:00:00Z", false);
    let small = ec2.volume(1);
    let cache_old = ec2.snapshot(&small, &CACHE, "2026-02-01T00:00:00Z", false);
    let cache_new = ec2.snapshot(&small, &CACHE, "2026-02-02T00:00:00Z", false);
    assert_ne!(cache_old, cache_new);

    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", SPEC);
    let output = lock(&spec, "eu-west-1", &moto.url, &["--page-size", "5"]);
    assert!(output.status.success(), "{}", describe(&output));
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "asking EC2 in eu-west-1 for snapshots of cache tagged app=blog, store=cache…".to_owned(),
            format!("  2 completed snapshots on 1 page; the newest is {cache_new} (started 2026-02-02T00:00:00Z)"),
            "asking EC2 in eu-west-1 for snapshots of db tagged app=blog, purpose=preview-seed…".to_owned(),
            format!("  12 completed snapshots on 3 pages; the newest is {newest} (started 2026-03-12T02:14:09Z)"),
            format!("pinned cache: {cache_new} (started 2026-02-02T00:00:00Z, 1 GiB)"),
            format!("pinned db: {newest} (started 2026-03-12T02:14:09Z, 20 GiB)"),
            format!("wrote {}", dir.path().join("preview.lock").display()),
        ]
    );
    let pinned = read_lock(dir.path());
    assert_eq!(pinned.snapshots.len(), 2);
    let db = &pinned.snapshots["db"];
    assert_eq!((db.snapshot_id.as_str(), db.start_time.as_str()), (newest.as_str(), "2026-03-12T02:14:09Z"));
    assert_eq!(db.tags, tags(&DB));
    assert_eq!(db.volume_size_gib, Some(20));
    assert_eq!(pinned.snapshots["cache"].snapshot_id, cache_new);

    let before = std::fs::read(dir.path().join("preview.lock")).expect("lock");
    let again = lock(&spec, "eu-west-1", &moto.url, &[]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        stderr(&again)
            .contains(&format!("kept db: {newest} (started 2026-03-12T02:14:09Z, 20 GiB) is still the newest"))
    );
    assert!(stderr(&again).ends_with("preview.lock is up to date\n"), "{}", describe(&again));
    assert_eq!(std::fs::read(dir.path().join("preview.lock")).expect("lock"), before);

    let render = kpreview().arg("render").arg(&spec).output().expect("run kpreview render");
    assert!(render.status.success(), "{}", describe(&render));
    let manifests = String::from_utf8_lossy(&render.stdout);
    assert!(manifests.contains(&format!("snapshotHandle: {newest}")), "{manifests}");
    assert!(manifests.contains(&format!("snapshotHandle: {cache_new}")), "{manifests}");
}

#[test]
fn snapshots_started_in_the_same_instant_are_told_apart_by_id() {
    let moto = Moto::shared();
    let ec2 = moto.ec2("us-west-2");
    let volume = ec2.volume(20);
    let mut ids: Vec<String> = (0..4).map(|_| ec2.snapshot(&volume, &DB, "2026-06-01T00:00:00Z", false)).collect();
    ids.sort();
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &SPEC.replace("    cache:", "    #cache:"));
    let output = lock(&spec, "us-west-2", &moto.url, &[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(read_lock(dir.path()).snapshots["db"].snapshot_id, ids[3]);
}

#[test]
fn no_match_names_every_store_and_its_tags_and_writes_nothing() {
    let moto = Moto::shared();
    let ec2 = moto.ec2("eu-central-1");
    let volume = ec2.volume(20);
    ec2.snapshot(&volume, &[("app", "blog")], "2026-01-01T00:00:00Z", false);
    ec2.snapshot(&volume, &DB, "2026-01-02T00:00:00Z", true);
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", SPEC);
    let previous = "# a lock someone committed\napiVersion: kpreview.dev/v1alpha1\nkind: PreviewLock\n";
    write(dir.path(), "preview.lock", previous);
    let output = lock(&spec, "eu-central-1", &moto.url, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("error: no snapshot to pin in eu-central-1:"), "{err}");
    assert!(
        err.contains(
            "data store `cache` (spec.dataStores.cache.seed.snapshot.tags): no completed snapshot owned by this \
             account is tagged app=blog, store=cache"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "data store `db` (spec.dataStores.db.seed.snapshot.tags): no completed snapshot owned by this account \
             is tagged app=blog, purpose=preview-seed"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("preview.lock")).expect("lock"), previous);
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2, "no temporary files");
}

#[test]
fn snapshots_of_other_accounts_are_never_pinned() {
    let moto = Moto::shared();
    let ec2 = moto.ec2("ap-southeast-2");
    let theirs = ec2.foreign_snapshot(&[("app", "blog"), ("purpose", "preview-seed")]);
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &SPEC.replace("    cache:", "    #cache:"));
    let output = lock(&spec, "ap-southeast-2", &moto.url, &[]);
    assert_eq!(output.status.code(), Some(1), "{theirs} is another account's: {}", describe(&output));
    assert!(stderr(&output).contains("no completed snapshot owned by this account is tagged app=blog"));
    assert!(!dir.path().join("preview.lock").exists());
}

#[test]
fn stale_entries_are_dropped_and_the_lock_is_replaced_by_a_rename() {
    let moto = Moto::shared();
    let ec2 = moto.ec2("eu-north-1");
    let volume = ec2.volume(20);
    let id = ec2.snapshot(&volume, &DB, "2026-07-01T00:00:00Z", false);
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", &SPEC.replace("    cache:", "    #cache:"));
    let old = "\
apiVersion: kpreview.dev/v1alpha1
kind: PreviewLock
snapshots:
  db:
    tags: {app: blog, purpose: preview-seed}
    snapshotId: snap-0000000000000old
    startTime: \"2026-01-01T00:00:00Z\"
  search:
    tags: {app: blog}
    snapshotId: snap-00000000000search
    startTime: \"2026-01-01T00:00:00Z\"
";
    let path = write(dir.path(), "preview.lock", old);
    let witness = dir.path().join("old.lock");
    std::fs::hard_link(&path, &witness).expect("hard link");
    let output = lock(&spec, "eu-north-1", &moto.url, &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "pinned db: {id} (started 2026-07-01T00:00:00Z, 20 GiB), replacing snap-0000000000000old"
        )),
        "{err}"
    );
    assert!(
        err.contains("dropped search: snap-00000000000search is no longer needed, as search is not seeded by tags"),
        "{err}"
    );
    let pinned = read_lock(dir.path());
    assert_eq!(pinned.snapshots.keys().collect::<Vec<_>>(), ["db"]);
    assert_eq!(pinned.snapshots["db"].snapshot_id, id);
    assert_eq!(std::fs::read_to_string(&witness).expect("old inode"), old, "the old file was never written to");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["old.lock", "preview.lock", "preview.yaml"], "no temporary files");
}

#[test]
fn an_unreachable_endpoint_is_a_clear_error_and_writes_nothing() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", SPEC);
    let output = lock(&spec, "eu-west-1", &format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("error: EC2 DescribeSnapshots in eu-west-1 failed: dispatch failure"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(err.contains("cannot reach EC2: check the network, `--endpoint-url` and AWS_ENDPOINT_URL"), "{err}");
    assert!(!dir.path().join("preview.lock").exists());
    let home = tempdir();
    let output = kpreview()
        .arg("lock")
        .arg(&spec)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run kpreview lock");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr(&output).contains("error: no AWS region: pass `--region`, or set AWS_REGION"),
        "{}",
        describe(&output)
    );
}

#[test]
fn credentials_ec2_refuses_are_reported_with_its_message() {
    let moto = Moto::start(&["--require-auth"]);
    let dir = tempdir();
    let spec = write(dir.path(), "preview.yaml", SPEC);
    let output = lock(&spec, "eu-west-1", &moto.url, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "error: EC2 DescribeSnapshots in eu-west-1 failed: AuthFailure: AWS was not able to validate the \
             provided access credentials; check the AWS credentials"
        ),
        "{err}"
    );
    assert!(!dir.path().join("preview.lock").exists());
}

#[test]
fn specs_without_tag_seeds_or_with_bad_ones_never_call_aws() {
    let nowhere = "http://127.0.0.1:9";
    let dir = tempdir();
    let plain = write(dir.path(), "preview.yaml", &SPEC.replace("seed: {snapshot: {tags:", "x: {y: {z:"));
    let output = lock(&plain, "eu-west-1", nowhere, &[]);
    assert_eq!(output.status.code(), Some(1), "unknown fields are errors: {}", describe(&output));
    assert!(stderr(&output).contains("spec.dataStores.db.x: unknown field `x`"), "{}", describe(&output));

    let none = write(
        dir.path(),
        "preview.yaml",
        "apiVersion: kpreview.dev/v1alpha1\nkind: Preview\nmetadata: {name: blog}\nspec:\n  dataStores:\n    db: {engine: postgres}\n",
    );
    let output = lock(&none, "eu-west-1", nowhere, &[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stderr(&output).contains("no data store is seeded by `seed.snapshot.tags`; nothing to lock"));
    assert!(!dir.path().join("preview.lock").exists());

    let bad = write(
        dir.path(),
        "preview.yaml",
        &SPEC
            .replace("{tags: {app: blog, store: cache}}", "{tags: {}}")
            .replace("snapshot: {tags: {app: blog, purpose", "snapshot: {handle: snap-1, tags: {app: blog, purpose"),
    );
    let output = lock(&bad, "eu-west-1", nowhere, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("spec.dataStores.cache.seed.snapshot.tags: give at least one tag"), "{err}");
    assert!(err.contains("spec.dataStores.db.seed.snapshot: set exactly one of `handle` and `tags`"), "{err}");
    assert!(!err.contains("asking EC2"), "{err}");

    let output = lock(Path::new("-"), "eu-west-1", nowhere, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let output = lock(&plain, "eu-west-1", "localhost:4566", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(stderr(&output).contains("`localhost:4566` is not a URL"), "{}", describe(&output));
}
