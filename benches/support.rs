//! The workspace's root package, which owns the top-level `tests/` and
//! `benches/`. It has no code of its own: Cargo needs a target for a package,
//! and this empty library is it.
