//! git's report of an ambiguous short object id: `error: short object ID
//! <hex> is ambiguous`, then `hint: The candidates are:` and one line per
//! candidate (tags, commits, trees, blobs; by id within a type), each with
//! git's abbreviation and, for commits and tags, git's summary; and git's
//! abbreviations themselves.

use packread::object::commit::{self, Signature, Tag};
use packread::object::{HashKind, Prefix};
use packread::{ObjectKind, Reader, auto_abbrev};

/// The lines git prints on stderr for the ambiguous `name`.
pub fn report(reader: &mut Reader, name: &str) -> Result<Vec<String>, packread::Error> {
    let lower = name.to_ascii_lowercase();
    let mut lines = vec![format!("error: short object ID {lower} is ambiguous")];
    let Some(prefix) = Prefix::from_hex(&lower) else {
        return Ok(lines);
    };
    let mut candidates = Vec::new();
    for id in reader.prefix_candidates(&prefix)? {
        let kind = reader.try_header(&id).ok().flatten().map(|h| h.kind);
        candidates.push((kind, id));
    }
    // Tags, commits, trees, blobs (git sorts by type % 4), then by id.
    let order = |k: Option<ObjectKind>| match k {
        Some(ObjectKind::Tag) => 0,
        Some(ObjectKind::Commit) => 1,
        Some(ObjectKind::Tree) => 2,
        Some(ObjectKind::Blob) => 3,
        None => 4,
    };
    candidates.sort_by_key(|&(k, id)| (order(k), id));
    let min = auto_abbrev(reader.odb().approximate_object_count());
    lines.push("hint: The candidates are:".to_owned());
    for (kind, id) in candidates {
        let len = reader.unique_abbrev_len(&id, min)?;
        let hex = &id.to_hex()[..len];
        let what = match kind {
            None => format!("{hex} [bad object]"),
            Some(ObjectKind::Tree) => format!("{hex} tree"),
            Some(ObjectKind::Blob) => format!("{hex} blob"),
            Some(ObjectKind::Commit) => {
                let data = reader.read(&id)?.data;
                let (date, subject) = commit_summary(&data);
                format!("{hex} commit {date} - {subject}")
            }
            Some(ObjectKind::Tag) => {
                let data = reader.read(&id)?.data;
                match tag_summary(&data, reader.odb().hash_kind()) {
                    Some((date, name)) => format!("{hex} tag {date} - {name}"),
                    None => format!("{hex} [bad tag, could not parse it]"),
                }
            }
        };
        lines.push(format!("hint:   {what}"));
    }
    Ok(lines)
}

/// A date as git's `DATE_SHORT` shows it: `YYYY-MM-DD` in the zone given
/// (in minutes east of UTC).
fn short_date(time: i64, zone_minutes: i32) -> String {
    let local = time + i64::from(zone_minutes) * 60;
    let (year, month, day, ..) = crate::civil::civil(local);
    format!("{year:04}-{month:02}-{day:02}")
}

/// git's `%ad` (author date, `DATE_SHORT`, in the author's zone; nothing
/// without an author git can read) and `%s`, read as laxly as git's
/// `--format` reads a commit.
fn commit_summary(data: &[u8]) -> (String, String) {
    let (headers, message) = commit::split(data);
    let date = commit::header(headers, b"author")
        .and_then(Signature::parse)
        .map(|s| short_date(s.time, s.zone_minutes))
        .unwrap_or_default();
    (date, commit::subject(message))
}

/// A tag's date (its tagger's, `DATE_SHORT` in UTC, 1970-01-01 without a
/// tagger) and name, as git shows them; `None` if git can't parse the tag.
fn tag_summary(data: &[u8], hash: HashKind) -> Option<(String, String)> {
    let tag = Tag::parse(data, hash).ok()?;
    let time = tag.tagger.map_or(0, |s| s.time);
    Some((
        short_date(time, 0),
        String::from_utf8_lossy(tag.name?).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_zone_given() {
        assert_eq!(short_date(0, 0), "1970-01-01");
        assert_eq!(short_date(1_700_000_000, 0), "2023-11-14");
        // 22:13 UTC is the next day at +0530 and +1400, the same at -0700.
        assert_eq!(short_date(1_700_000_000, 330), "2023-11-15");
        assert_eq!(short_date(1_700_000_000, -420), "2023-11-14");
        assert_eq!(short_date(951_782_400, 0), "2000-02-29");
        assert_eq!(short_date(-86_400, 0), "1969-12-31");
    }

    #[test]
    fn abbreviations_grow_with_the_object_count() {
        assert_eq!(auto_abbrev(0), 7);
        assert_eq!(auto_abbrev(1_500), 7);
        assert_eq!(auto_abbrev(1 << 16), 9);
        assert_eq!(auto_abbrev(1_240_000), 11);
    }
}
