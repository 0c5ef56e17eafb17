//! The one place kpreview runs git. Every failure names the git command that failed and carries
//! git's own stderr, so a CI log says what went wrong without a rerun.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A git command that could not run or did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The process could not start or be talked to.
    #[error("cannot run `{command}`: {source}; is git installed and on PATH?")]
    Spawn {
        /// The command line, as a user would type it.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// git exited with a status the caller did not expect.
    #[error("`{command}` failed ({status}){}", stderr_suffix(.stderr))]
    Failed {
        /// The command line.
        command: String,
        /// Exit status as text (`exit status: 128`).
        status: String,
        /// What git printed on stderr, trimmed.
        stderr: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() { String::new() } else { format!(": {stderr}") }
}

/// What a finished git command printed.
#[derive(Debug)]
pub struct Output {
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded and trimmed.
    pub stderr: String,
}

impl Output {
    /// Standard output as text with the trailing newline removed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim_end_matches('\n').to_owned()
    }
}

/// git, run in one directory.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// git in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory it runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A command `git <args>`, run with [`Call::run`].
    pub fn call<I, S>(&self, args: I) -> Call<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Call {
            git: self,
            config: Vec::new(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            input: None,
            ok_codes: Vec::new(),
        }
    }
}

/// One git invocation being set up.
#[derive(Debug)]
pub struct Call<'a> {
    git: &'a Git,
    config: Vec<String>,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    input: Option<Vec<u8>>,
    ok_codes: Vec<i32>,
}

impl Call<'_> {
    /// A `-c key=value` before the subcommand.
    #[must_use]
    pub fn config(mut self, key: &str, value: &str) -> Self {
        self.config.push(format!("{key}={value}"));
        self
    }

    /// An environment variable for this call only.
    #[must_use]
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// Bytes to write to git's stdin.
    #[must_use]
    pub fn input(mut self, bytes: Vec<u8>) -> Self {
        self.input = Some(bytes);
        self
    }

    /// Exit codes other than 0 that are answers rather than failures (`merge-base --is-ancestor`).
    #[must_use]
    pub fn ok_codes(mut self, codes: &[i32]) -> Self {
        self.ok_codes.extend_from_slice(codes);
        self
    }

    /// How the command reads in messages: `git -C DIR ls-tree -z HEAD`.
    fn display(&self) -> String {
        let mut text = format!("git -C {}", self.git.dir.display());
        for arg in &self.args {
            text.push(' ');
            text.push_str(&arg.to_string_lossy());
        }
        text
    }

    /// Runs it; an exit code that is neither 0 nor one of `ok_codes` is an error.
    pub fn run(self) -> Result<Output, GitError> {
        let git = self.git;
        let command = self.display();
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&git.dir);
        for pair in &self.config {
            cmd.arg("-c").arg(pair);
        }
        cmd.args(&self.args)
            // Messages are parsed (push results), so they must not be translated; and CI has no
            // one to answer a credential prompt, which would otherwise hang the job.
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(if self.input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let spawn_error = |source| GitError::Spawn { command: command.clone(), source };
        let mut child = cmd.spawn().map_err(spawn_error)?;
        // Writing from another thread: git may fill its stdout pipe before it has read all of its
        // stdin (cat-file --batch does), and both sides would wait forever.
        let writer = match (self.input, child.stdin.take()) {
            (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || pipe.write_all(&bytes))),
            _ => None,
        };
        let output = child.wait_with_output().map_err(spawn_error)?;
        if let Some(writer) = writer {
            match writer.join() {
                Ok(Ok(())) => {}
                // git stopped reading because it failed; its own error says why.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe && !output.status.success() => {}
                Ok(Err(source)) => return Err(GitError::Spawn { command, source }),
                Err(_) => {
                    return Err(GitError::Spawn { command, source: std::io::Error::other("stdin writer panicked") });
                }
            }
        }
        let code = output.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if code == 0 || self.ok_codes.contains(&code) {
            Ok(Output { code, stdout: output.stdout, stderr })
        } else {
            Err(GitError::Failed { command, status: output.status.to_string(), stderr })
        }
    }
}

impl crate::fault::HasFault for GitError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Environment
    }
}
