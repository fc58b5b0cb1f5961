//! The settings of a repository that change git's line counts: the size
//! past which files are binary (`core.bigFileThreshold`), the `binary`
//! setting of diff drivers (`diff.<driver>.binary`), and the attributes
//! that pick a driver (see [`crate::attributes`]).

use std::collections::HashMap;
use std::path::Path;

use crate::attributes::Attributes;
use crate::git_dir::config::{config_value, entries, parse_bool};

use super::stat::{BIG_FILE_THRESHOLD, Classing};

/// What a repository's `config` says of line counts.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::committed("diffconfig", &[("a.txt", "a\n")])?;
/// # dir.git(&["config", "core.bigFileThreshold", "1k"])?;
/// # dir.git(&["config", "diff.Lock.binary", "true"])?;
/// use packread::diff::DiffConfig;
/// let config = DiffConfig::read(&dir.join(".git"));
/// assert_eq!(config.big_file_threshold, 1024);
/// assert_eq!(config.driver_binary(b"Lock"), Some(true));
/// assert_eq!(config.driver_binary(b"lock"), None);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DiffConfig {
    /// `core.bigFileThreshold` (512 MiB unless set): larger files are
    /// binary.
    pub big_file_threshold: u64,
    /// `diff.<driver>.binary`, by driver name.
    drivers: HashMap<Vec<u8>, bool>,
    /// The drivers with a `diff.<driver>.textconv` program.
    textconv: Vec<Vec<u8>>,
}

impl Default for DiffConfig {
    fn default() -> Self {
        DiffConfig {
            big_file_threshold: BIG_FILE_THRESHOLD,
            drivers: HashMap::new(),
            textconv: Vec::new(),
        }
    }
}

impl DiffConfig {
    /// The settings of the repository whose (common) git directory is
    /// `git_dir`, from its `config` file; git's defaults without one.
    pub fn read(git_dir: &Path) -> DiffConfig {
        let Ok(text) = std::fs::read_to_string(git_dir.join("config")) else {
            return DiffConfig::default();
        };
        let big_file_threshold = config_value(&text, "core", "bigfilethreshold")
            .and_then(|v| parse_size(&v))
            .unwrap_or(BIG_FILE_THRESHOLD);
        let textconv = entries(&text)
            .into_iter()
            .filter(|e| e.section == "diff" && e.key == "textconv")
            .filter_map(|e| e.subsection.map(String::into_bytes))
            .collect();
        DiffConfig {
            big_file_threshold,
            drivers: binary_drivers(&text),
            textconv,
        }
    }

    /// Whether diff driver `name` has a `textconv` program (git runs it
    /// for `cat-file --textconv` and textconv diffs).
    pub fn driver_textconv(&self, name: &[u8]) -> bool {
        self.textconv.iter().any(|d| d == name)
    }

    /// The `binary` setting of diff driver `name`, if set.
    pub fn driver_binary(&self, name: &[u8]) -> Option<bool> {
        self.drivers.get(name).copied()
    }

    /// How `path`'s line counts class it, from its `diff` attribute.
    pub fn classing(&self, attributes: &mut Attributes, path: &[u8]) -> Classing {
        let state = attributes.get(path, "diff");
        Classing::from_attribute(&state, |driver| self.driver_binary(driver))
    }
}

/// A size as git's `git_config_ulong` reads it: digits and an optional
/// `k`, `m` or `g`.
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (digits, unit) = match v.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&v[..i], c.to_ascii_lowercase()),
        _ => (v, ' '),
    };
    let n: u64 = digits.trim().parse().ok()?;
    let factor: u64 = match unit {
        ' ' => 1,
        'k' => 1 << 10,
        'm' => 1 << 20,
        'g' => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// `binary` of every `[diff "<name>"]` section (names are case-sensitive,
/// as git's subsections; the last setting wins).
fn binary_drivers(text: &str) -> HashMap<Vec<u8>, bool> {
    let mut out = HashMap::new();
    for e in entries(text) {
        if let (true, Some(name), true) = (e.section == "diff", &e.subsection, e.key == "binary")
            && let Some(b) = parse_bool(&e.value)
        {
            out.insert(name.as_bytes().to_vec(), b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_drivers() {
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("2m"), Some(2 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("x"), None);
        let d = binary_drivers(
            "[diff \"a\"]\n\tbinary = true\n[diff \"B\"]\nbinary=no\n[core]\nbinary = yes\n",
        );
        assert_eq!(d.get(&b"a"[..]), Some(&true));
        assert_eq!(d.get(&b"B"[..]), Some(&false));
        assert_eq!(d.len(), 2);
    }
}
