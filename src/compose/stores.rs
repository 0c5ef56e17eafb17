//! Which compose images are data stores kpreview runs itself: the official postgres, redis and
//! mongo images (by any registry path Docker Hub serves them under), with the version their tag
//! names.

use crate::spec::types::Engine;

/// A compose image recognised as a data store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreImage {
    /// The engine.
    pub engine: Engine,
    /// The tag to use as `version`; `None` for the engine's default (no tag, `latest`).
    pub version: Option<String>,
    /// Why the version differs from the image's tag, for a comment.
    pub note: Option<String>,
}

/// The store an image runs, if it is an official postgres, redis or mongo image.
pub fn recognise(image: &str) -> Option<StoreImage> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repository, tag) = match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag)),
        _ => (without_digest, None),
    };
    let name = repository
        .strip_prefix("docker.io/")
        .or_else(|| repository.strip_prefix("index.docker.io/"))
        .unwrap_or(repository);
    let name = name.strip_prefix("library/").unwrap_or(name);
    let engine = match name {
        "postgres" => Engine::Postgres,
        "redis" => Engine::Redis,
        "mongo" => Engine::Mongodb,
        _ => return None,
    };
    let tag = tag.filter(|t| !t.is_empty() && *t != "latest");
    let Some(tag) = tag else {
        return Some(StoreImage { engine, version: None, note: None });
    };
    let valid =
        |t: &str| !t.is_empty() && t.len() <= 128 && t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if engine == Engine::Postgres && tag.contains("alpine") {
        let debian = tag.split('-').next().filter(|t| valid(t) && *t != "alpine");
        let note = format!(
            "`{image}` is Alpine-based, whose server runs as uid 70; kpreview runs the Debian-based image of the same \
             version as uid 999"
        );
        return Some(StoreImage { engine, version: debian.map(str::to_owned), note: Some(note) });
    }
    if valid(tag) {
        Some(StoreImage { engine, version: Some(tag.to_owned()), note: None })
    } else {
        let note = format!("the tag of `{image}` is not a version kpreview can use; the engine's default is used");
        Some(StoreImage { engine, version: None, note: Some(note) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(image: &str) -> Option<(Engine, Option<String>)> {
        recognise(image).map(|s| (s.engine, s.version))
    }

    #[test]
    fn official_images_are_stores_with_their_version() {
        assert_eq!(version("postgres:16"), Some((Engine::Postgres, Some("16".into()))));
        assert_eq!(version("docker.io/library/postgres:15.6"), Some((Engine::Postgres, Some("15.6".into()))));
        assert_eq!(version("redis:7.2-alpine"), Some((Engine::Redis, Some("7.2-alpine".into()))));
        assert_eq!(version("mongo"), Some((Engine::Mongodb, None)));
        assert_eq!(version("mongo:latest"), Some((Engine::Mongodb, None)));
        assert_eq!(version("library/mongo:6.0"), Some((Engine::Mongodb, Some("6.0".into()))));
    }

    #[test]
    fn alpine_postgres_becomes_debian_with_a_note() {
        let store = recognise("postgres:14-alpine").unwrap();
        assert_eq!(store.version.as_deref(), Some("14"));
        assert!(store.note.unwrap().contains("Alpine"));
        assert_eq!(recognise("postgres:alpine").unwrap().version, None);
        assert_eq!(recognise("postgres:16.2-alpine3.19").unwrap().version.as_deref(), Some("16.2"));
    }

    #[test]
    fn other_images_are_not_stores() {
        for image in
            ["postgis/postgis:16-3.4", "bitnami/redis:7", "ghcr.io/acme/postgres:1", "mongo-express", "redisinsight"]
        {
            assert_eq!(recognise(image), None, "{image}");
        }
    }
}
