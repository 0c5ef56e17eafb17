# syntax=docker/dockerfile:1
# kpreview's one image, three uses:
#   - the KRM function of kpt and kustomize (`container:`/`image:`): they run the entrypoint with
#     no arguments and a ResourceList on stdin, which is kpreview's function mode;
#   - the Argo CD Config Management Plugin sidecar (functions/argocd), which runs the
#     argocd-cmp-server that the repo-server's copyutil init container copies in, as uid 999;
#   - the restore and cleanup Jobs a render contains, which give only `args`, so the entrypoint
#     must be kpreview.
#
#   docker build -t ghcr.io/kpreview/kpreview:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/kpreview/kpreview:0.1.0 --push .
#
# The final stage alone, on a binary built outside (scripts/image does this, and the tests):
#   podman build --build-arg BINARY=prebuilt --build-arg BASE_IMAGE=localhost/base -f Dockerfile DIR
# where DIR holds `kpreview` (the repository's .dockerignore lets no binary through, so DIR is
# not the repository) and the base has the libraries the binary needs. The Rust stage is skipped.

ARG RUST_VERSION=1.89
# Any base works that has what distroless's `nonroot` has and kpreview's users rely on: glibc
# (the Argo CD sidecar), CA certificates (the Jobs' kube client refuses to start without them),
# and `nobody` in /etc/passwd (kpt and kustomize run functions as `--user nobody`).
ARG BASE_IMAGE=gcr.io/distroless/cc-debian12:nonroot
# Where the binary comes from: the `build` stage, or `prebuilt` (a `kpreview` in the context).
ARG BINARY=build

# A static binary (musl): it runs on any base and needs nothing from the final image.
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Cargo.toml names the bench; cargo will not parse a manifest whose targets are missing.
COPY benches ./benches
# Each platform builds natively (under emulation for a foreign one), so the target is this
# machine's architecture; the caches make a rebuild after a source change take seconds.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eu; \
    target="$(uname -m)-unknown-linux-musl"; \
    rustup target add "$target"; \
    cargo build --release --locked --bin kpreview --target "$target"; \
    install -D -m 0755 "target/$target/release/kpreview" /out/kpreview; \
    /out/kpreview --version

FROM scratch AS prebuilt
COPY kpreview /out/kpreview

# Only a stage named by FROM can be chosen by an argument (`COPY --from` takes no variables).
FROM ${BINARY} AS binary

# glibc, not `static`: the Argo CD sidecar runs argocd-cmp-server from this image's filesystem,
# and that binary (copied from the argocd image) is glibc-linked. `nonroot` is uid 65532; the
# sidecar overrides it with 999, as Argo CD requires.
FROM ${BASE_IMAGE}
COPY --from=binary /out/kpreview /usr/local/bin/kpreview
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kpreview"]
