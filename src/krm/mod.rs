//! KRM function mode (kpt, kustomize): `ResourceList` in, `ResourceList` out.
