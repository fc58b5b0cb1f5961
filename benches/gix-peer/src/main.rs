//! gitoxide's object database (gix-odb / gix-pack) doing what
//! `git cat-file` does in the benchmark rows the `gix` CLI has no command
//! for, with git's output format, so that outputs can be compared byte for
//! byte:
//!
//! - `pack-order`: every object, each pack's in offset order, the most recently
//!   modified pack first (`--batch-all-objects --batch --unordered`);
//! - `id-order`: every object by id (`--batch-all-objects --batch`);
//! - `batch`: the objects named on stdin (`--batch`);
//! - `headers`: every object's header by id (`--batch-all-objects
//!   --batch-check`).
//!
//! Set up as `gix` sets up a repository's objects: packs kept loaded, no
//! refreshes, and a delta-base cache capped at 96 MiB (git's
//! `core.deltaBaseCacheLimit`). One thread, like git's cat-file.
//!
//! usage: gix-peer OBJECTS_DIR MODE
use std::io::{self, BufRead, Write};

use gix_object::Find;
use gix_odb::Header;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, objects, mode] = &args[..] else {
        return Err("usage: gix-peer OBJECTS_DIR pack-order|id-order|batch|headers".into());
    };
    let mut odb = gix_odb::at(objects, gix_hash::Kind::Sha1)?;
    odb.prevent_pack_unload();
    odb.refresh_never();
    odb.set_pack_cache(|| Box::new(gix_pack::cache::lru::MemoryCappedHashmap::new(96 << 20)));

    let mut out = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let mut buf = Vec::new();
    let ids: Vec<gix_hash::ObjectId> = match mode.as_str() {
        "pack-order" => pack_order(objects, &odb)?,
        "id-order" | "headers" => {
            let mut ids = odb.iter()?.collect::<Result<Vec<_>, _>>()?;
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        "batch" => io::stdin()
            .lock()
            .lines()
            .map(|l| Ok(gix_hash::ObjectId::from_hex(l?.trim().as_bytes())?))
            .collect::<Result<_, Box<dyn std::error::Error>>>()?,
        _ => return Err(format!("unknown mode {mode}").into()),
    };
    for id in &ids {
        if mode == "headers" {
            let h = odb.try_header(id)?.ok_or("missing object")?;
            writeln!(out, "{id} {} {}", h.kind(), h.size())?;
        } else {
            let o = odb.try_find(id, &mut buf)?.ok_or("missing object")?;
            writeln!(out, "{id} {} {}", o.kind, o.data.len())?;
            out.write_all(o.data)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Every object, each pack's in offset order, then the loose ones.
///
/// Read from the indices here because gix-odb 0.87's
/// `AllObjects::with_ordering` comes too late for the first pack: its order
/// is chosen when the iterator is made, so that pack comes out by id.
fn pack_order(
    objects: &str,
    odb: &gix_odb::Handle,
) -> Result<Vec<gix_hash::ObjectId>, Box<dyn std::error::Error>> {
    let mut idxs: Vec<_> = std::fs::read_dir(std::path::Path::new(objects).join("pack"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    idxs.retain(|p| p.extension().is_some_and(|e| e == "idx"));
    // git's order (`sort_pack`): the most recently modified pack first, by
    // whole seconds; ties as git's list has them, the last found first.
    let secs = |idx: &std::path::PathBuf| {
        std::fs::metadata(idx.with_extension("pack"))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
    };
    idxs.reverse();
    idxs.sort_by_key(|idx| std::cmp::Reverse(secs(idx)));
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for idx in idxs {
        let index = gix_pack::index::File::at(&idx, gix_hash::Kind::Sha1)?;
        let mut entries: Vec<_> = index.iter().map(|e| (e.pack_offset, e.oid)).collect();
        entries.sort_unstable();
        for (_, id) in entries {
            if seen.insert(id) {
                ids.push(id);
            }
        }
    }
    for id in odb.iter()? {
        let id = id?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
