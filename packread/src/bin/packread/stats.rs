//! `packread stats`: read objects, then report what the mapping layer did.

use std::io::{self, IsTerminal, Write};

use crate::names::{Resolved, resolve};
use crate::progress::Progress;
use crate::{Exit, Global};

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let cx = &global.open()?;
    let odb = &cx.odb;
    let mut r = odb.reader();
    let targets = if args.is_empty() {
        odb.object_locations_pack_order()?
            .into_iter()
            .map(|(_, loc)| loc)
            .collect::<Vec<_>>()
    } else {
        let mut v = Vec::new();
        for name in args {
            let Resolved::Id(id) = resolve(cx, &mut r, name)? else {
                return Err(Exit::Fatal(format!("Not a valid object name {name}")));
            };
            v.push(
                r.locate(&id)?
                    .ok_or_else(|| Exit::Fatal(format!("object {id} not found")))?,
            );
        }
        v
    };
    let mut progress = Progress::new(
        "Reading objects",
        targets.len() as u64,
        io::stderr().is_terminal(),
    );
    let mut data = Vec::new();
    let mut inflated = 0u64;
    for loc in &targets {
        r.read_location(loc, &mut data)?;
        inflated += data.len() as u64;
        progress.tick(1);
    }
    progress.finish();
    let m = odb.manager();
    let s = m.stats();
    let packread::CacheStats { hits, misses } = r.cache_stats();
    let limit = |n: usize| {
        if n == usize::MAX {
            "none".to_owned()
        } else {
            n.to_string()
        }
    };
    let mut out = io::stdout().lock();
    writeln!(out, "objects read:          {}", targets.len())?;
    writeln!(out, "bytes of objects:      {inflated}")?;
    writeln!(out, "packs:                 {}", odb.packs().len())?;
    writeln!(
        out,
        "manager:               {:?}, window size {}",
        m.kind(),
        m.window_size()
    )?;
    writeln!(
        out,
        "windows mapped:        {} ({} bytes in all)",
        s.windows_mapped, s.bytes_mapped
    )?;
    writeln!(
        out,
        "peak mapped memory:    {} bytes (limit {})",
        s.peak_mapped_memory,
        limit(m.max_mapped_memory_size())
    )?;
    writeln!(
        out,
        "peak windows:          {} (limit {})",
        s.peak_windows,
        limit(m.max_file_handles())
    )?;
    writeln!(out, "windows unloaded:      {}", s.windows_unloaded)?;
    writeln!(
        out,
        "mapped now:            {} bytes in {} windows",
        m.mapped_memory_size(),
        m.num_file_handles()
    )?;
    writeln!(out, "open descriptors:      {}", m.num_open_descriptors())?;
    writeln!(out, "OS refusals retried:   {}", s.os_refusals_retried)?;
    writeln!(out, "descriptors closed:    {}", s.descriptors_closed)?;
    writeln!(out, "delta-base cache:      {hits} hits, {misses} misses")?;
    Ok(0)
}
