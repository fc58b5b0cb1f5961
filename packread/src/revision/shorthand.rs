//! git's shorthands for a commit's parents (`gitrevisions`): `<rev>^@`
//! (its parents), `<rev>^!` (it, without its parents) and `<rev>^-<n>` (it,
//! without its `n`th parent, the first by default), found in an argument
//! as `rev-list` (`handle_revision_arg_1`) and `rev-parse`
//! (`try_parent_shorthands`) find them.

/// What a parent shorthand asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParentShorthand {
    /// `^@`: the parents.
    Parents,
    /// `^!`: the commit, and its parents excluded.
    Only,
    /// `^-<n>`: the commit, and its `n`th parent excluded.
    WithoutParent(usize),
}

/// The shorthand `arg` ends with and the revision before it, as a walk's
/// arguments take them (`rev-list`, `log`): `^@` or `^!` ending the
/// argument, else `^-` followed by nothing or a number of at least 1.
/// `Err(())` for a `^-` followed by anything else (git's "bad revision").
///
/// ```
/// use packread::revision::{ParentShorthand, parent_shorthand};
/// assert_eq!(parent_shorthand("HEAD^@"), Ok(Some(("HEAD", ParentShorthand::Parents))));
/// assert_eq!(parent_shorthand("v1^-2"), Ok(Some(("v1", ParentShorthand::WithoutParent(2)))));
/// assert_eq!(parent_shorthand("HEAD^-x"), Err(()));
/// assert_eq!(parent_shorthand("HEAD^2"), Ok(None));
/// ```
#[allow(clippy::result_unit_err)]
pub fn parent_shorthand(arg: &str) -> Result<Option<(&str, ParentShorthand)>, ()> {
    if let Some(base) = arg.strip_suffix("^@").filter(|b| !b.contains("^@")) {
        return Ok(Some((base, ParentShorthand::Parents)));
    }
    if let Some(base) = arg.strip_suffix("^!").filter(|b| !b.contains("^!")) {
        return Ok(Some((base, ParentShorthand::Only)));
    }
    match arg.find("^-") {
        Some(at) => {
            let n = parse_n(&arg[at + 2..]).ok_or(())?;
            Ok(Some((&arg[..at], ParentShorthand::WithoutParent(n))))
        }
        None => Ok(None),
    }
}

/// As [`parent_shorthand`], in `rev-parse`'s order (`^!`, then `^@`, then
/// `^-`), where anything else after the mark makes it no shorthand.
///
/// ```
/// use packread::revision::{ParentShorthand, rev_parse_shorthand};
/// assert_eq!(rev_parse_shorthand("^HEAD^!"), Some(("^HEAD", ParentShorthand::Only)));
/// assert_eq!(rev_parse_shorthand("HEAD^@x"), None);
/// ```
pub fn rev_parse_shorthand(arg: &str) -> Option<(&str, ParentShorthand)> {
    if let Some(at) = arg.find("^!") {
        return (at + 2 == arg.len()).then(|| (&arg[..at], ParentShorthand::Only));
    }
    if let Some(at) = arg.find("^@") {
        return (at + 2 == arg.len()).then(|| (&arg[..at], ParentShorthand::Parents));
    }
    let at = arg.find("^-")?;
    Some((
        &arg[..at],
        ParentShorthand::WithoutParent(parse_n(&arg[at + 2..])?),
    ))
}

/// The number after `^-`: 1 if none, else at least 1.
fn parse_n(digits: &str) -> Option<usize> {
    if digits.is_empty() {
        return Some(1);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_found_where_git_finds_them() {
        let p = ParentShorthand::Parents;
        assert_eq!(parent_shorthand("HEAD^@"), Ok(Some(("HEAD", p))));
        assert_eq!(parent_shorthand("a^@b^@"), Ok(None));
        assert_eq!(
            parent_shorthand("v1^!"),
            Ok(Some(("v1", ParentShorthand::Only)))
        );
        assert_eq!(
            parent_shorthand("HEAD^-"),
            Ok(Some(("HEAD", ParentShorthand::WithoutParent(1))))
        );
        assert_eq!(parent_shorthand("HEAD^-0"), Err(()));
        assert_eq!(rev_parse_shorthand("HEAD^-x"), None);
        assert_eq!(rev_parse_shorthand("HEAD^@"), Some(("HEAD", p)));
    }
}
