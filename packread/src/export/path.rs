//! Which paths may be written to a work tree: git's `verify_path` (read-cache.c)
//! with its defaults on Unix (`core.protectNTFS` on, `core.protectHFS` off),
//! the rule `git checkout` applies to every path before it writes a file.

/// The mode of a symbolic link; links get stricter rules (`.gitmodules`).
const SYMLINK: u32 = 0o120_000;
/// The mode of a directory; only a directory path may end in `/`.
const DIRECTORY: u32 = 0o040_000;

/// Whether git would write `path` (a path in the repository, `/`-separated)
/// with `mode` to a work tree: no empty, `.` or `..` components, no `.git`
/// in any case, nor the names NTFS would take for `.git` (`.git.`, `.git `,
/// `git~1`), nor a symlink named `.gitmodules`; no `/` at the start or twice
/// in a row.
///
/// ```
/// use packread::export::verify_path;
/// assert!(verify_path(b"src/main.rs", 0o100644));
/// assert!(verify_path(b".gitignore", 0o100644));
/// assert!(!verify_path(b"../outside", 0o100644));
/// assert!(!verify_path(b"a/.GIT/config", 0o100644));
/// assert!(!verify_path(b"/etc/passwd", 0o100644));
/// assert!(!verify_path(b"a/git~1/hooks/pre-commit", 0o100755));
/// assert!(!verify_path(b".gitmodules", 0o120000));
/// assert!(verify_path(b".gitmodules", 0o100644));
/// ```
pub fn verify_path(path: &[u8], mode: u32) -> bool {
    let symlink = mode & 0o170_000 == SYMLINK;
    let mut rest = path;
    loop {
        // `rest` starts a component.
        if is_ntfs_dotgit(rest) || (symlink && is_ntfs_dotgitmodules(rest)) {
            return false;
        }
        match rest.first() {
            None | Some(b'/') => return false,
            Some(b'.') if !verify_dotfile(&rest[1..], symlink) => return false,
            _ => {}
        }
        match memchr::memchr(b'/', rest) {
            None => return true,
            Some(i) if i + 1 == rest.len() => return mode & 0o170_000 == DIRECTORY,
            Some(i) => rest = &rest[i + 1..],
        }
    }
}

/// After a leading `.`: refuses `.`, `..`, `.git` (any case) and, for a
/// symlink, `.gitmodules` (any case), each as a whole component.
fn verify_dotfile(rest: &[u8], symlink: bool) -> bool {
    let ends = |s: &[u8]| matches!(s.first(), None | Some(b'/'));
    if ends(rest) {
        return false;
    }
    if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"git") {
        let after = &rest[3..];
        if ends(after) {
            return false;
        }
        if symlink && after.len() >= 7 && after[..7].eq_ignore_ascii_case(b"modules") {
            return !ends(&after[7..]);
        }
        return true;
    }
    !(rest[0] == b'.' && ends(&rest[1..]))
}

/// git's `is_ntfs_dotgit`: `.git` or `git~1` (any case) followed by only
/// spaces and dots up to the end of the component (`/` or `\`).
fn is_ntfs_dotgit(name: &[u8]) -> bool {
    let rest = if name.len() >= 4 && name[0] == b'.' && name[1..4].eq_ignore_ascii_case(b"git") {
        &name[4..]
    } else if name.len() >= 5 && name[..3].eq_ignore_ascii_case(b"git") && &name[3..5] == b"~1" {
        &name[5..]
    } else {
        return false;
    };
    for &c in rest {
        if c == b'/' || c == b'\\' {
            return true;
        }
        if c != b'.' && c != b' ' {
            return false;
        }
    }
    true
}

/// git's `is_ntfs_dotgitmodules`: `.gitmodules`, its short names `gitmod~1`
/// to `gitmod~4`, or the fall-back short names `gi7eba~<n>`, then only
/// spaces and dots (a `:` ends the name too, as in an NTFS stream name).
fn is_ntfs_dotgitmodules(name: &[u8]) -> bool {
    let only_spaces_and_periods = |rest: &[u8]| {
        for &c in rest {
            if c == b':' {
                return true;
            }
            if c != b' ' && c != b'.' {
                return false;
            }
        }
        true
    };
    if name.len() >= 11 && name[0] == b'.' && name[1..11].eq_ignore_ascii_case(b"gitmodules") {
        return only_spaces_and_periods(&name[11..]);
    }
    if name.len() >= 8
        && name[..6].eq_ignore_ascii_case(b"gitmod")
        && name[6] == b'~'
        && (b'1'..=b'4').contains(&name[7])
    {
        return only_spaces_and_periods(&name[8..]);
    }
    // The fall-back short name: up to six characters of the hash-derived
    // prefix `gi7eba`, then `~` and a digit 1-9, then digits, eight in all.
    let prefix = b"gi7eba";
    let mut saw_tilde = false;
    let mut i = 0;
    while i < 8 {
        let Some(&c) = name.get(i) else {
            return false;
        };
        if saw_tilde {
            if !c.is_ascii_digit() {
                return false;
            }
        } else if c == b'~' {
            i += 1;
            match name.get(i) {
                Some(b'1'..=b'9') => saw_tilde = true,
                _ => return false,
            }
        } else if i >= 6 || c & 0x80 != 0 || c.to_ascii_lowercase() != prefix[i] {
            return false;
        }
        i += 1;
    }
    only_spaces_and_periods(&name[8..])
}

#[cfg(test)]
mod tests {
    use super::verify_path;

    const FILE: u32 = 0o100_644;
    const LINK: u32 = 0o120_000;

    #[test]
    fn refuses_what_git_refuses() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a/..",
            b"a/../b",
            b"./a",
            b"a/./b",
            b"a//b",
            b"/a",
            b"a/",
            b".git",
            b".Git/x",
            b"a/.gIT",
            b".git.",
            b".git  ",
            b"a/.git. ./b",
            b"git~1",
            b"GIT~1/config",
            b".git\\x",
        ] {
            assert!(
                !verify_path(bad, FILE),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for bad in [
            &b".gitmodules"[..],
            b"a/.GitModules",
            b".gitmodules .",
            b"gitmod~1",
            b"GITMOD~4",
            b"gi7eba~1",
            b"gi7eb~12",
            b".gitmodules:x",
        ] {
            assert!(
                !verify_path(bad, LINK),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn allows_ordinary_names() {
        for good in [
            &b"a"[..],
            b"a/b/c",
            b"...",
            b".a",
            b"..a",
            b".gitignore",
            b".github/workflows/ci.yml",
            b".gitx",
            b"git~2",
            b"gitmod~5",
            b"a b/c\xc3\xa9",
            b"gi7eba~1x",
        ] {
            assert!(
                verify_path(good, LINK),
                "{:?}",
                String::from_utf8_lossy(good)
            );
            assert!(
                verify_path(good, FILE),
                "{:?}",
                String::from_utf8_lossy(good)
            );
        }
        assert!(verify_path(b".gitmodules", FILE));
        assert!(verify_path(b"dir/", 0o040_000));
    }
}
