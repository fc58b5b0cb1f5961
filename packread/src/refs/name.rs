//! git's rules for ref names (`check_refname_format`).

/// Whether `name` is a ref name git accepts (`git check-ref-format`):
/// components separated by `/`, none empty, none starting with `.` or ending
/// with `.lock`; no `..`, no `@{`, no control characters, space, `~ ^ : ? *
/// [ \`; not ending with `/` or `.`; not `@`. With `one_level` false a name
/// needs at least two components (`refs/x`), as `git check-ref-format`
/// without `--allow-onelevel` demands.
///
/// ```
/// use packread::refs::is_valid_name;
/// assert!(is_valid_name("refs/heads/main", false));
/// assert!(is_valid_name("HEAD", true));
/// assert!(!is_valid_name("HEAD", false));
/// assert!(!is_valid_name("refs/heads/a..b", false));
/// assert!(!is_valid_name("refs/heads/x.lock", false));
/// ```
pub fn is_valid_name(name: &str, one_level: bool) -> bool {
    if name.is_empty() || name == "@" || name.ends_with('.') {
        return false;
    }
    let mut components = 0;
    for component in name.split('/') {
        if !valid_component(component) {
            return false;
        }
        components += 1;
    }
    one_level || components >= 2
}

fn valid_component(c: &str) -> bool {
    if c.is_empty() || c.starts_with('.') || c.as_bytes().ends_with(b".lock") {
        return false;
    }
    if c.contains("..") || c.contains("@{") {
        return false;
    }
    !c.bytes().any(|b| {
        b < 0x20 || b == 0x7f || matches!(b, b' ' | b'~' | b'^' | b':' | b'?' | b'*' | b'[' | b'\\')
    })
}
