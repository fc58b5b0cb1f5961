//! The few settings of a git directory's `config` file that reading objects
//! and refs depends on.

use std::path::Path;

use crate::error::Error;
use crate::object::HashKind;

/// One `key = value` of a git config file, in the section (lower case)
/// and subsection (as written: `[remote "origin"]`) it is in; the key in
/// lower case, the value without comments and quotes (`true` for a key
/// alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) section: String,
    pub(crate) subsection: Option<String>,
    pub(crate) key: String,
    pub(crate) value: String,
}

/// Every entry of a git config file's text, in order.
pub(crate) fn entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let (mut section, mut subsection) = (String::new(), None);
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('[') {
            let header = rest.split(']').next().unwrap_or("").trim();
            (section, subsection) = match header.split_once(char::is_whitespace) {
                Some((name, sub)) => (
                    name.to_ascii_lowercase(),
                    sub.trim()
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .map(str::to_owned),
                ),
                None => (header.to_ascii_lowercase(), None),
            };
            continue;
        }
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, "true"));
        let value = value.split(['#', ';']).next().unwrap_or("").trim();
        out.push(Entry {
            section: section.clone(),
            subsection: subsection.clone(),
            key: key.trim().to_ascii_lowercase(),
            value: value.trim_matches('"').to_owned(),
        });
    }
    out
}

/// The value of `key` in `[section]` of a git config file (last one wins);
/// keys and section names are case-insensitive.
pub(crate) fn config_value(text: &str, section: &str, key: &str) -> Option<String> {
    entries(text)
        .into_iter()
        .rev()
        .find(|e| e.subsection.is_none() && e.section == section && e.key.eq_ignore_ascii_case(key))
        .map(|e| e.value)
}

/// Whether git reads the multi-pack-index of the repository whose git
/// directory is `git_dir` (`core.multiPackIndex`, true unless set false).
pub(crate) fn uses_midx(git_dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(git_dir.join("config")) else {
        return true;
    };
    !matches!(
        config_value(&text, "core", "multipackindex")
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Some("false" | "no" | "off" | "0")
    )
}

/// A boolean as git reads one (`true`/`yes`/`on`/`1`, `false`/`no`/
/// `off`/`0`/empty, and other numbers); `None` for anything else.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" | "" => Some(false),
        n => n.parse::<i64>().ok().map(|n| n != 0),
    }
}

/// Whether a config value is one of git's words for false.
fn is_false(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "false" | "no" | "off" | "0" | ""
    )
}

/// What git reads of the commit-graph of the repository whose git
/// directory is `git_dir`: whether its generation data and its
/// changed-path filters (in that order); `None` where git reads no graph
/// (`core.commitGraph` false; a shallow repository or grafts, whose
/// parents the graph doesn't know).
pub(crate) fn commit_graph_reading(git_dir: &Path) -> Option<(bool, bool)> {
    if git_dir.join("shallow").is_file() || git_dir.join("info/grafts").is_file() {
        return None;
    }
    let text = std::fs::read_to_string(git_dir.join("config")).unwrap_or_default();
    let get = |section, key| config_value(&text, section, key);
    if get("core", "commitgraph").is_some_and(|v| is_false(&v)) {
        return None;
    }
    let generation_data = get("commitgraph", "generationversion")
        .and_then(|v| v.parse::<i64>().ok())
        .is_none_or(|v| v >= 2);
    // `commitGraph.changedPathsVersion` (-1: as `readChangedPaths`, true
    // by default); 0 turns the filters off.
    let changed_paths =
        match get("commitgraph", "changedpathsversion").and_then(|v| v.parse::<i64>().ok()) {
            Some(v) if v >= 0 => v != 0,
            _ => get("commitgraph", "readchangedpaths").is_none_or(|v| !is_false(&v)),
        };
    Some((generation_data, changed_paths))
}

/// The hash of the repository whose git directory is `git_dir`, from its
/// config (`extensions.objectFormat`); SHA-1 without one.
pub(crate) fn repo_hash(git_dir: &Path) -> Result<HashKind, Error> {
    let config = git_dir.join("config");
    let Ok(text) = std::fs::read_to_string(&config) else {
        return Ok(HashKind::Sha1);
    };
    match config_value(&text, "extensions", "objectformat")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("sha1") => Ok(HashKind::Sha1),
        Some("sha256") => Ok(HashKind::Sha256),
        Some(other) => Err(Error::Unsupported {
            path: config,
            what: format!("unknown object format '{other}'"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_object_format() {
        let text = "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha256\n";
        assert_eq!(
            config_value(text, "extensions", "objectformat").as_deref(),
            Some("sha256")
        );
        assert_eq!(config_value(text, "core", "bare"), None);
        assert_eq!(
            config_value(
                "[Extensions]\nobjectformat=sha1 # c\n",
                "extensions",
                "objectformat"
            )
            .as_deref(),
            Some("sha1")
        );
    }
}
