//! What kpreview knows about each data store engine: its official image, port, data directory,
//! user, readiness check and connection URL. Validation and rendering both read it from here.

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

    /// The uid and gid the official image's server runs as (999 in all three). Pinning it lets
    /// the pod run non-root under Pod Security "restricted" and, through `fsGroup`, own its volume.
    pub fn uid(self) -> i64 {
        999
    }

    /// The user the connection URL names (`root` is the MongoDB root user kpreview creates).
    fn user(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Redis => "",
            Engine::Mongodb => "root",
        }
    }

    /// The connection URL of a store at `host`; with a password variable, the URL references it
    /// as `$(VAR)`, which Kubernetes expands from the earlier variable holding the Secret's value.
    pub fn url(self, host: &str, password_var: Option<&str>) -> String {
        let port = self.port();
        let auth = match password_var {
            Some(var) => format!("{}:$({var})@", self.user()),
            None if self == Engine::Postgres => "postgres@".to_owned(),
            None => String::new(),
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
}
