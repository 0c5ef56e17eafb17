//! Podman for the container tests: a store of this test run's own, kpreview's image built into it
//! once from the binary under test (`scripts/image`: the Dockerfile's final stage on a base made
//! from this machine's files), and the Docker-compatible API socket, started and stopped by the
//! test that needs it.
//!
//! The store lives in `$CARGO_TARGET_TMPDIR/podman/<pid>/` with its own `containers.conf` and
//! `storage.conf` (given to every podman, kpt, kubectl and docker run through
//! `CONTAINERS_CONF` and `CONTAINERS_STORAGE_CONF`), so nothing the tests build or run touches
//! the machine's podman, and concurrent test runs never share an image tag. The runtime is
//! `runc` with no default ulimits: `crun` is refused `setrlimit` on some CI machines, and runc is
//! what Debian's podman works with everywhere. A store whose test run has ended is reset and
//! removed by the next run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{describe, kpreview_path, root, tempdir};

/// The image's tag in the test store.
pub const IMAGE: &str = "localhost/kpreview:test";

/// Set (scripts/test sets it) to fail rather than skip the container tests without podman.
const REQUIRE: &str = "KPREVIEW_REQUIRE_PODMAN";

/// This test run's podman store, with the image built.
pub struct Podman {
    dir: PathBuf,
}

impl Podman {
    /// The store with [`IMAGE`] built, or `None` (said loudly on stderr) when podman is not
    /// installed and [`REQUIRE`] is unset. Building takes seconds, once per test run.
    pub fn get(test: &str) -> Option<&'static Podman> {
        static PODMAN: OnceLock<Result<Option<Podman>, String>> = OnceLock::new();
        match PODMAN.get_or_init(Podman::build) {
            Ok(Some(podman)) => Some(podman),
            Ok(None) => {
                // Straight to stderr: the test harness captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED {test}: podman is not installed, so kpreview's image is not run. \
                     scripts/test installs it (Debian podman and runc); set {REQUIRE}=1 to fail instead. ***\n"
                );
                None
            }
            Err(why) => panic!("{why}"),
        }
    }

    fn build() -> Result<Option<Podman>, String> {
        if Command::new("podman").arg("--version").output().is_err() {
            if std::env::var_os(REQUIRE).is_some() {
                return Err(format!("podman is not installed and {REQUIRE} is set"));
            }
            return Ok(None);
        }
        let runs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("podman");
        remove_ended_runs(&runs);
        let dir = runs.join(std::process::id().to_string());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let podman = Podman { dir };
        podman.configure().map_err(|e| format!("writing the podman configuration: {e}"))?;
        let output = podman
            .command(root().join("scripts/image"))
            .arg(kpreview_path())
            .arg(IMAGE)
            .output()
            .map_err(|e| format!("running scripts/image: {e}"))?;
        if !output.status.success() {
            return Err(format!("scripts/image could not build {IMAGE}:\n{}", describe(&output)));
        }
        Ok(Some(podman))
    }

    fn configure(&self) -> std::io::Result<()> {
        let path = |name: &str| self.dir.join(name).display().to_string();
        std::fs::write(
            self.dir.join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = \"runc\"\ntmp_dir = \"{}\"\n\
                 lock_type = \"file\"\nevents_logger = \"file\"\n",
                path("tmp")
            ),
        )?;
        std::fs::write(
            self.dir.join("storage.conf"),
            format!(
                "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
                path("root"),
                path("run")
            ),
        )
    }

    /// `program` with this store's configuration in its environment (kpt, kubectl and docker
    /// pass it on to the podman they start).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        configured(program, &self.dir)
    }

    /// `podman run --rm` of the image with `args` after the image.
    pub fn run(&self, options: &[&str], args: &[String]) -> Output {
        let mut cmd = self.command("podman");
        cmd.args(["run", "--rm"]).args(options).arg(IMAGE).args(args);
        cmd.output().expect("run podman")
    }

    /// Starts `podman system service` on a socket of its own; see [`Service`].
    pub fn service(&self) -> Service {
        let dir = tempdir();
        let socket = dir.path().join("podman.sock");
        let log = dir.path().join("service.log");
        // `--time`: should the test process die without unwinding, the service still exits
        // after a minute without requests.
        let mut child = self
            .command("podman")
            .args(["system", "service", "--time", "60"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("service log"))
            .spawn()
            .expect("start podman system service");
        let started = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            let exited = child.try_wait().expect("poll the service");
            if exited.is_some() || started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("podman system service did not start:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Service { child, socket, _dir: dir }
    }
}

/// `program` configured for the store in `dir`.
fn configured(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("CONTAINERS_CONF", dir.join("containers.conf"))
        .env("CONTAINERS_STORAGE_CONF", dir.join("storage.conf"))
        .env_remove("CONTAINER_HOST")
        .env_remove("DOCKER_HOST");
    cmd
}

/// Resets and removes the stores of test runs whose process is gone.
fn remove_ended_runs(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_err() || Path::new("/proc").join(&name).exists() {
            continue;
        }
        let dir = entry.path();
        if dir.join("containers.conf").exists() {
            let _ = configured("podman", &dir).args(["system", "reset", "--force"]).output();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The Docker-compatible API of the test store on a unix socket. Dropping it, also when the
/// test panics, stops the service by its process id and waits for it to exit.
pub struct Service {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Service {
    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `DOCKER_HOST` that reaches it.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // SIGTERM first, so the service removes its socket and stops what it started.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).output();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
