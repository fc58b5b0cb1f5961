//! git's chunk-file table of contents (`chunk-format.c`): the
//! multi-pack-index and the commit-graph both list their chunks in one.

use smmap::WindowCursor;

/// Why a table of contents is refused, as `read_table_of_contents` checks.
#[derive(Debug)]
pub(crate) enum TocProblem {
    /// The file could not be read.
    Unreadable(smmap::Error),
    /// The table runs past the end of the file.
    TooSmall,
    /// A chunk id of 0 before the end of the table.
    EarlyTerminating,
    /// A chunk that doesn't start on the required boundary.
    Unaligned(u32),
    /// A chunk's offsets that go backwards or past the trailer.
    BadOffsets { start: u64, next: u64 },
    /// A chunk id listed twice.
    Duplicate(u32),
    /// The terminating row has a non-zero id.
    NonZeroFinal(u32),
}

/// The chunks a table lists: `(id, start, length)`.
pub(crate) struct Chunks(Vec<(u32, u64, u64)>);

impl Chunks {
    /// The start and length of chunk `id`, if the table lists it.
    pub(crate) fn find(&self, id: [u8; 4]) -> Option<(u64, u64)> {
        let id = u32::from_be_bytes(id);
        self.0
            .iter()
            .find(|&&(cid, ..)| cid == id)
            .map(|&(_, at, len)| (at, len))
    }
}

/// The table of `count` chunks at offset `at`: each chunk runs to the next
/// row's offset (at most `end`, where the trailer starts) and starts on a
/// multiple of `align`; the last row's id must be zero.
pub(crate) fn read_toc(
    c: &mut WindowCursor,
    at: u64,
    count: u8,
    end: u64,
    align: u64,
) -> Result<Chunks, TocProblem> {
    let count = usize::from(count);
    let toc_len = (count as u64 + 1) * 12;
    if at + toc_len > end {
        return Err(TocProblem::TooSmall);
    }
    let mut toc = vec![0u8; toc_len as usize];
    match c.read_at(at, &mut toc) {
        Ok(n) if n == toc.len() => {}
        Ok(_) => return Err(TocProblem::TooSmall),
        Err(e) => return Err(TocProblem::Unreadable(e)),
    }
    let row = |i: usize| -> (u32, u64) {
        let r = &toc[i * 12..i * 12 + 12];
        (
            u32::from_be_bytes(r[..4].try_into().expect("4 bytes")),
            u64::from_be_bytes(r[4..].try_into().expect("8 bytes")),
        )
    };
    let mut chunks: Vec<(u32, u64, u64)> = Vec::with_capacity(count);
    for i in 0..count {
        let (id, start) = row(i);
        if id == 0 {
            return Err(TocProblem::EarlyTerminating);
        }
        if start % align != 0 {
            return Err(TocProblem::Unaligned(id));
        }
        let (_, next) = row(i + 1);
        if next < start || next > end {
            return Err(TocProblem::BadOffsets { start, next });
        }
        if chunks.iter().any(|&(cid, ..)| cid == id) {
            return Err(TocProblem::Duplicate(id));
        }
        chunks.push((id, start, next - start));
    }
    let (final_id, _) = row(count);
    if final_id != 0 {
        return Err(TocProblem::NonZeroFinal(final_id));
    }
    Ok(Chunks(chunks))
}
