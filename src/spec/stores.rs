//! Validation of `spec.dataStores`: engine, image, volume, seed (exactly one kind, tag selectors
//! resolved through `preview.lock`) and credentials.

use super::check::{check_image, check_image_template, floating_warning, is_floating};
use super::defaults::{self, STORE_RESOURCES, engine_version};
use super::model::{Engine, SecretRef, Seed, Store};
use super::problem::key_path;
use super::resources::{MAX_STORAGE, bounded, resources};
use super::types::{DataStoreSpec, PreviewSpec, SeedSpec};
use super::validate::Ctx;
use crate::k8s::Quantity;
use crate::k8s::naming::{MAX_STATEFULSET, is_dns1035_label};

pub(crate) fn validate(ctx: &mut Ctx<'_>, spec: &PreviewSpec) -> Vec<Store> {
    let mut stores = Vec::new();
    for (name, written) in &spec.data_stores {
        let path = key_path("spec.dataStores", name);
        if !is_dns1035_label(name) || name.len() > MAX_STATEFULSET {
            ctx.problems.error(
                &path,
                format!(
                    "`{name}` is not a valid data store name: a DNS-1035 label (lowercase letters, digits and `-`, \
                     starting with a letter) of at most {MAX_STATEFULSET} characters, since it names a StatefulSet"
                ),
            );
        }
        if spec.services.contains_key(name) {
            ctx.problems.error(
                &path,
                format!(
                    "`{name}` is both a service and a data store; names must be unique across services and dataStores"
                ),
            );
        }
        if let Some(store) = store(ctx, &path, name, written) {
            stores.push(store);
        }
    }
    stores
}

fn store(ctx: &mut Ctx<'_>, path: &str, name: &str, written: &DataStoreSpec) -> Option<Store> {
    let Some(engine) = written.engine.as_deref() else {
        ctx.problems.error(format!("{path}.engine"), "missing: set `engine` to `postgres`, `redis` or `mongodb`");
        return None;
    };
    let engine = ctx.choose(&format!("{path}.engine"), engine, Engine::VALUES)?;
    let version = written.version.clone().unwrap_or_else(|| engine_version(engine).to_owned());
    if version.is_empty()
        || version.len() > 128
        || !version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        ctx.problems
            .error(format!("{path}.version"), format!("`{version}` is not an image tag such as `16` or `16.4`"));
    }
    let image = match &written.image {
        Some(source) => ctx.template(&format!("{path}.image"), source).inspect(|image| {
            if let Err(e) = check_image_template(image, source) {
                ctx.problems.error(format!("{path}.image"), e.to_string());
            } else if is_floating(image) {
                ctx.problems.warning(format!("{path}.image"), floating_warning(image));
            }
        }),
        None => Some(format!("{}:{version}", engine.repository())),
    };
    let storage = match &written.storage {
        Some(text) => bounded(ctx, &format!("{path}.storage"), text, MAX_STORAGE),
        None => Some(defaults::storage()),
    };
    if let Some(storage) = &storage
        && storage.value() < 1024.0 * 1024.0
    {
        ctx.problems.error(
            format!("{path}.storage"),
            format!("`{storage}` is too small for a volume; write a size such as `1Gi`"),
        );
    }
    if let Some(class) = &written.storage_class {
        ctx.subdomain(&format!("{path}.storageClass"), class);
    }
    let seed = match &written.seed {
        Some(seed) => seed_of(ctx, path, name, seed, storage.as_ref()).unwrap_or(Seed::Empty),
        None => Seed::Empty,
    };
    if let Seed::Image { .. } = seed {
        seed_image_alone(ctx, path, engine, written, &version);
    }
    let (field, tag) = match (&seed, &written.image, &image) {
        (Seed::Image { image }, _, _) => ("seed.image", tag_of(image)),
        (_, Some(_), Some(image)) => ("image", tag_of(image)),
        _ => ("version", version.as_str()),
    };
    if engine.alpine_refused() && tag.contains("alpine") {
        ctx.problems.error(
            format!("{path}.{field}"),
            format!(
                "`{tag}` is an Alpine-based postgres image, whose server user is uid 70; kpreview runs postgres as \
                 uid {} (the Debian-based images' user, which Pod Security `restricted` needs pinned), so use a \
                 Debian-based tag such as `16`",
                engine.uid()
            ),
        );
    }
    let credentials = written.credentials.as_ref().and_then(|c| {
        let key = c.password_key.clone().unwrap_or_default();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
            ctx.problems.error(format!("{path}.credentials.passwordKey"), format!("`{key}` is not a Secret key"));
        }
        let Some(secret) = c.secret_name.clone() else {
            ctx.problems
                .error(format!("{path}.credentials.secretName"), "missing: name the Secret that holds the password");
            return None;
        };
        ctx.subdomain(&format!("{path}.credentials.secretName"), &secret);
        Some(SecretRef { name: secret, key })
    });
    let resources = resources(ctx, &format!("{path}.resources"), written.resources.as_ref(), STORE_RESOURCES);
    // A refused size is recorded; the store stays, so that what depends on it resolves.
    let storage = storage.unwrap_or_else(defaults::storage);
    let image = match &seed {
        Seed::Image { image } => image.clone(),
        _ => image?,
    };
    Some(Store {
        name: name.to_owned(),
        engine,
        image,
        storage,
        storage_class: written.storage_class.clone(),
        seed,
        credentials,
        resources,
    })
}

/// The tag of an image reference (`16-alpine` of `mirror/postgres:16-alpine`), or `""`.
fn tag_of(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map_or("", |(_, tag)| tag)
}

/// `seed.image` replaces the store's image, so it cannot be combined with one; and it seeds only
/// engines whose image runs scripts on an empty data directory.
fn seed_image_alone(ctx: &mut Ctx<'_>, path: &str, engine: Engine, written: &DataStoreSpec, version: &str) {
    let at = format!("{path}.seed.image");
    if written.image.is_some() {
        ctx.problems.error(
            &at,
            "the store runs the seed image instead of `image`, so set one of them: put the seed data into an \
             image built from your mirror",
        );
    }
    if version != engine_version(engine) {
        ctx.problems.error(
            &at,
            format!(
                "the store runs the seed image instead of the official `{version}` image, so `version` would be \
                 ignored; remove `version` or build the seed image from that version"
            ),
        );
    }
    if engine == Engine::Redis {
        ctx.problems.error(
            &at,
            "redis has no first-start seeding hook: data baked into an image's /data is hidden by the volume \
             mounted there, so the store would start empty; seed redis from a `velero` backup or a `snapshot`",
        );
    }
}

fn seed_of(
    ctx: &mut Ctx<'_>,
    store_path: &str,
    store: &str,
    seed: &SeedSpec,
    storage: Option<&Quantity>,
) -> Option<Seed> {
    let path = &format!("{store_path}.seed");
    let kinds =
        usize::from(seed.velero.is_some()) + usize::from(seed.snapshot.is_some()) + usize::from(seed.image.is_some());
    if kinds != 1 {
        ctx.problems.error(path, format!("set exactly one of `velero`, `snapshot` and `image` (found {kinds})"));
        return None;
    }
    if let Some(velero) = &seed.velero {
        let backup = velero.backup.clone().unwrap_or_default();
        let namespace = velero.namespace.clone().unwrap_or_default();
        if backup.is_empty() {
            ctx.problems.error(format!("{path}.velero.backup"), "missing: name the Velero Backup to restore");
        } else {
            ctx.subdomain(&format!("{path}.velero.backup"), &backup);
        }
        if namespace.is_empty() {
            ctx.problems
                .error(format!("{path}.velero.namespace"), "missing: name the namespace the backup was taken of");
        } else {
            ctx.label(&format!("{path}.velero.namespace"), &namespace);
        }
        return Some(Seed::Velero { backup, namespace });
    }
    if let Some(image) = &seed.image {
        let image = ctx.template(&format!("{path}.image"), image)?;
        if let Err(e) = check_image(&image) {
            ctx.problems.error(format!("{path}.image"), e.to_string());
        }
        return Some(Seed::Image { image });
    }
    let snapshot = seed.snapshot.as_ref()?;
    let path = format!("{path}.snapshot");
    let driver = snapshot.driver.clone().unwrap_or_default();
    ctx.subdomain(&format!("{path}.driver"), &driver);
    if let Some(class) = &snapshot.snapshot_class {
        ctx.subdomain(&format!("{path}.snapshotClass"), class);
    }
    let (handle, tags) = match (&snapshot.handle, &snapshot.tags) {
        (Some(handle), None) => (handle.clone(), None),
        (None, Some(tags)) => (locked_handle(ctx, store_path, store, tags, storage)?, Some(tags.clone())),
        _ => {
            ctx.problems.error(&path, "set exactly one of `handle` and `tags`");
            return None;
        }
    };
    if handle.is_empty() || handle.len() > 256 || handle.chars().any(|c| c.is_whitespace() || c.is_control()) {
        ctx.problems.error(
            format!("{path}.handle"),
            format!("`{handle}` is not a snapshot id such as `snap-0a1b2c3d4e5f67890`"),
        );
    }
    Some(Seed::Snapshot { handle, driver, class: snapshot.snapshot_class.clone(), tags })
}

fn locked_handle(
    ctx: &mut Ctx<'_>,
    store_path: &str,
    store: &str,
    tags: &std::collections::BTreeMap<String, String>,
    storage: Option<&Quantity>,
) -> Option<String> {
    let path = format!("{store_path}.seed.snapshot.tags");
    if tags.is_empty() {
        ctx.problems.error(&path, "give at least one tag to select snapshots by");
        return None;
    }
    let entry = ctx.lock.and_then(|lock| lock.snapshots.get(store));
    let Some(entry) = entry else {
        ctx.problems.error(
            &path,
            format!(
                "no snapshot is pinned for `{store}` in {}: run `kpreview lock` next to the spec and commit the lock file",
                super::lockfile::FILE_NAME
            ),
        );
        return None;
    };
    if &entry.tags != tags {
        ctx.problems.error(
            &path,
            format!(
                "{} pinned `{store}` for other tags ({}); run `kpreview lock` again",
                super::lockfile::FILE_NAME,
                entry.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    }
    if let (Some(gib), Some(storage)) = (entry.volume_size_gib, storage) {
        #[allow(clippy::cast_precision_loss)]
        let needed = gib as f64 * 1024.0 * 1024.0 * 1024.0;
        if storage.value() < needed {
            ctx.problems.error(
                format!("{store_path}.storage"),
                format!("`{storage}` is smaller than the {gib}Gi snapshot {} it restores", entry.snapshot_id),
            );
        }
    }
    Some(entry.snapshot_id.clone())
}
