//! What kpreview knows about each data store engine: its official image, port, data directory,
//! server uid, client user, readiness check and connection URL. Validation and rendering both
//! read it from here.

use crate::spec::model::Engine;

impl Engine {
    /// The repository of the official image.
    pub fn repository(self) -> &'static str {
        match self {
            Engine::Postgres => "docker.io/library/postgres",
            Engine::Redis => "docker.io/library/redis",
            Engine::Mongodb => "docker.io/library/mongo",
        }
    }

    /// The port it listens on.
    pub fn port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Redis => 6379,
            Engine::Mongodb => 27017,
        }
    }

    /// The name of its port, for Services and probes.
    pub fn port_name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Redis => "redis",
            Engine::Mongodb => "mongodb",
        }
    }

    /// Where the `data` volume is mounted.
    pub fn data_path(self) -> &'static str {
        match self {
            Engine::Postgres => "/var/lib/postgresql/data",
            Engine::Redis => "/data",
            Engine::Mongodb => "/data/db",
        }
    }

    /// The uid and gid the server runs as: 999 is the server user of the Debian-based official
    /// images of all three (and of Redis's Alpine image). Pinning it lets the pod run non-root
    /// under Pod Security "restricted" and, through `fsGroup`, own its volume. Postgres's Alpine
    /// images use uid 70, so validation refuses them ([`Engine::alpine_refused`]).
    pub fn uid(self) -> i64 {
        match self {
            Engine::Postgres | Engine::Redis | Engine::Mongodb => 999,
        }
    }

    /// Whether an Alpine-based image of this engine would run its server as another uid than
    /// [`Engine::uid`], and so cannot be used.
    pub fn alpine_refused(self) -> bool {
        self == Engine::Postgres
    }

    /// The user a client connects as, when the engine has one: `postgres` always, MongoDB's
    /// `root` (the root user kpreview creates) only with a password; Redis has none.
    pub fn user(self, with_password: bool) -> Option<&'static str> {
        match self {
            Engine::Postgres => Some("postgres"),
            Engine::Mongodb if with_password => Some("root"),
            Engine::Redis | Engine::Mongodb => None,
        }
    }

    /// The connection URL of a store at `host`; with a password variable, the URL references it
    /// as `$(VAR)`, which Kubernetes expands from the earlier variable holding the Secret's value.
    /// Kubernetes does not escape what it expands, so such a URL is only right for a password
    /// without characters a URL reserves (`@ : / ? # %`); `<NAME>_HOST`, `_PORT`, `_USER` and
    /// `_PASSWORD` are there for the others.
    pub fn url(self, host: &str, password_var: Option<&str>) -> String {
        let port = self.port();
        let user = self.user(password_var.is_some()).unwrap_or_default();
        let auth = match password_var {
            Some(var) => format!("{user}:$({var})@"),
            None if user.is_empty() => String::new(),
            None => format!("{user}@"),
        };
        match self {
            Engine::Postgres => format!("postgresql://{auth}{host}:{port}/postgres"),
            Engine::Redis => format!("redis://{auth}{host}:{port}/0"),
            Engine::Mongodb if password_var.is_some() => {
                format!("mongodb://{auth}{host}:{port}/?authSource=admin")
            }
            Engine::Mongodb => format!("mongodb://{host}:{port}/"),
        }
    }

    /// How often the readiness check runs and how long it may take, in seconds. `mongosh` is a
    /// Node.js process that takes a second or two to start, more on a busy node, so MongoDB's
    /// check runs half as often with twice the time. There is no liveness probe: a slow start
    /// leaves the store unready (and Argo CD waiting), never restarted.
    pub fn readiness_period_and_timeout(self) -> (i32, i32) {
        match self {
            Engine::Postgres | Engine::Redis => (5, 5),
            Engine::Mongodb => (10, 10),
        }
    }

    /// The readiness check, run inside the store's container.
    pub fn readiness_command(self) -> Vec<String> {
        let words: &[&str] = match self {
            Engine::Postgres => &["pg_isready", "--host=127.0.0.1", "--port=5432", "--username=postgres"],
            Engine::Redis => &["sh", "-c", "redis-cli -h 127.0.0.1 ping | grep -q PONG"],
            Engine::Mongodb => &["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"],
        };
        words.iter().map(|w| (*w).to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_and_without_a_password() {
        assert_eq!(Engine::Postgres.url("db", None), "postgresql://postgres@db:5432/postgres");
        assert_eq!(
            Engine::Postgres.url("db", Some("DB_PASSWORD")),
            "postgresql://postgres:$(DB_PASSWORD)@db:5432/postgres"
        );
        assert_eq!(Engine::Redis.url("cache", None), "redis://cache:6379/0");
        assert_eq!(Engine::Redis.url("cache", Some("P")), "redis://:$(P)@cache:6379/0");
        assert_eq!(Engine::Mongodb.url("m", None), "mongodb://m:27017/");
        assert_eq!(Engine::Mongodb.url("m", Some("P")), "mongodb://root:$(P)@m:27017/?authSource=admin");
    }

    #[test]
    fn users_exist_where_the_url_names_one() {
        assert_eq!(Engine::Postgres.user(false), Some("postgres"));
        assert_eq!(Engine::Mongodb.user(false), None);
        assert_eq!(Engine::Mongodb.user(true), Some("root"));
        assert_eq!(Engine::Redis.user(true), None);
    }
}
