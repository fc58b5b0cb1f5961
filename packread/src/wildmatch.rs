//! git's `wildmatch` without case folding: as pathspecs use it (`*`
//! matches any bytes, `/` included; `?` one byte) and with `WM_PATHNAME`
//! as attributes use it (`*` stops at `/`, `**` doesn't); `[...]` a set
//! with ranges, `!`/`^` negation and `[:class:]`es of the C locale; `\`
//! quotes the next byte.

/// The outcome of a match (git's `WM_*` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wild {
    Match,
    NoMatch,
    /// No placement of an earlier `*` can match either.
    AbortAll,
    /// No placement of an earlier `*` short of a `**` can match.
    AbortToStarStar,
}

/// Whether `b` makes a path a glob (git's `is_glob_special`).
pub(crate) fn is_glob_special(b: u8) -> bool {
    matches!(b, b'*' | b'?' | b'[' | b'\\')
}

/// Matches `text` against the whole of `pattern`.
pub(crate) fn wildmatch(pattern: &[u8], text: &[u8]) -> Wild {
    match dowild(pattern, 0, text, false) {
        Wild::Match => Wild::Match,
        _ => Wild::NoMatch,
    }
}

/// As [`wildmatch`] with git's `WM_PATHNAME`: `*`, `?` and sets don't
/// match `/`; `**/`, `/**/` and a trailing `/**` match any directories.
pub(crate) fn wildmatch_pathname(pattern: &[u8], text: &[u8]) -> bool {
    dowild(pattern, 0, text, true) == Wild::Match
}

/// git's `dowild`: `pattern[p..]` against `text`.
fn dowild(pattern: &[u8], mut p: usize, mut text: &[u8], pathname: bool) -> Wild {
    while let Some(&p_ch) = pattern.get(p) {
        let t_ch = text.first().copied();
        if t_ch.is_none() && p_ch != b'*' {
            return Wild::AbortAll;
        }
        let t = t_ch.unwrap_or(0);
        match p_ch {
            b'\\' => {
                // A literal byte (a trailing `\` matches nothing).
                p += 1;
                if pattern.get(p) != Some(&t) {
                    return Wild::NoMatch;
                }
            }
            b'?' => {
                if pathname && t == b'/' {
                    return Wild::NoMatch;
                }
            }
            b'*' => return star(pattern, p, text, pathname),
            b'[' => match bracket(&pattern[p + 1..], t) {
                Some((true, after)) if !(pathname && t == b'/') => {
                    // `after` starts past the `]`; the loop steps over one.
                    p = pattern.len() - after.len() - 1;
                }
                Some(_) => return Wild::NoMatch,
                None => return Wild::AbortAll,
            },
            _ => {
                if t != p_ch {
                    return Wild::NoMatch;
                }
            }
        }
        p += 1;
        text = &text[1..];
    }
    if text.is_empty() {
        Wild::Match
    } else {
        Wild::NoMatch
    }
}

/// The `*` or `**` at `pattern[p]` and what follows, against `text`.
fn star(pattern: &[u8], mut p: usize, mut text: &[u8], pathname: bool) -> Wild {
    let first = p;
    p += 1;
    let match_slash = if pattern.get(p) == Some(&b'*') {
        while pattern.get(p) == Some(&b'*') {
            p += 1;
        }
        let rest = &pattern[p..];
        if !pathname {
            true
        } else if (first == 0 || pattern[first - 1] == b'/')
            && (rest.is_empty() || rest[0] == b'/' || rest.starts_with(b"\\/"))
        {
            // `**/` may match no directory at all.
            if rest.first() == Some(&b'/') && dowild(pattern, p + 1, text, pathname) == Wild::Match
            {
                return Wild::Match;
            }
            true
        } else {
            false
        }
    } else {
        !pathname
    };
    let Some(&next) = pattern.get(p) else {
        // A trailing `**` matches everything, a trailing `*` what has no
        // more slashes.
        if !match_slash && text.contains(&b'/') {
            return Wild::AbortToStarStar;
        }
        return Wild::Match;
    };
    if !match_slash && next == b'/' {
        // One `*` then a slash: the rest of this directory's name.
        let Some(slash) = text.iter().position(|&b| b == b'/') else {
            return Wild::AbortAll;
        };
        return dowild(pattern, p + 1, &text[slash + 1..], pathname);
    }
    while let Some(&t) = text.first() {
        let mut t = t;
        if !is_glob_special(next) {
            // Skip ahead to the literal that must follow.
            while let Some(&c) = text.first() {
                t = c;
                if c == next || (!match_slash && c == b'/') {
                    break;
                }
                text = &text[1..];
            }
            if text.first() != Some(&next) {
                return if match_slash {
                    Wild::AbortAll
                } else {
                    Wild::AbortToStarStar
                };
            }
        }
        match dowild(pattern, p, text, pathname) {
            Wild::NoMatch => {
                if !match_slash && t == b'/' {
                    return Wild::AbortToStarStar;
                }
            }
            Wild::AbortToStarStar if match_slash => {}
            other => return other,
        }
        text = &text[1..];
    }
    Wild::AbortAll
}

/// A `[...]` set (`p` just after the `[`) against `t`: whether it matches
/// and the pattern after the `]`; `None` for a set that never ends.
fn bracket(mut p: &[u8], t: u8) -> Option<(bool, &[u8])> {
    let mut p_ch = *p.first()?;
    if p_ch == b'^' {
        p_ch = b'!';
    }
    let negated = p_ch == b'!';
    if negated {
        p = &p[1..];
        p_ch = *p.first()?;
    }
    let mut prev: u8 = 0;
    let mut matched = false;
    loop {
        if p_ch == b'\\' {
            p = &p[1..];
            p_ch = *p.first()?;
            if t == p_ch {
                matched = true;
            }
        } else if p_ch == b'-' && prev != 0 && p.len() > 1 && p[1] != b']' {
            p = &p[1..];
            p_ch = p[0];
            if p_ch == b'\\' {
                p = &p[1..];
                p_ch = *p.first()?;
            }
            if t <= p_ch && t >= prev {
                matched = true;
            }
            p_ch = 0;
        } else if p_ch == b'[' && p.get(1) == Some(&b':') {
            let s = &p[2..];
            let end = s.iter().position(|&b| b == b']')?;
            if end == 0 || s[end - 1] != b':' {
                // No `:]`: an ordinary `[`.
                if t == b'[' {
                    matched = true;
                }
            } else {
                if class(&s[..end - 1], t)? {
                    matched = true;
                }
                p = &s[end..];
                p_ch = 0;
            }
        } else if t == p_ch {
            matched = true;
        }
        prev = p_ch;
        p = &p[1..];
        p_ch = *p.first()?;
        if p_ch == b']' {
            break;
        }
    }
    Some((matched != negated, &p[1..]))
}

/// A `[:name:]` class of the C locale; `None` for an unknown name.
fn class(name: &[u8], t: u8) -> Option<bool> {
    Some(match name {
        b"alnum" => t.is_ascii_alphanumeric(),
        b"alpha" => t.is_ascii_alphabetic(),
        b"blank" => t == b' ' || t == b'\t',
        b"cntrl" => t.is_ascii_control(),
        b"digit" => t.is_ascii_digit(),
        b"graph" => t.is_ascii_graphic(),
        b"lower" => t.is_ascii_lowercase(),
        b"print" => t.is_ascii_graphic() || t == b' ',
        b"punct" => t.is_ascii_punctuation(),
        b"space" => matches!(t, b' ' | b'\t' | b'\n' | b'\r'),
        b"upper" => t.is_ascii_uppercase(),
        b"xdigit" => t.is_ascii_hexdigit(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        wildmatch(p.as_bytes(), t.as_bytes()) == Wild::Match
    }

    #[test]
    fn globs_as_git_matches_them() {
        assert!(m("*", "a/b"));
        assert!(m("a*c", "a/x/c"));
        assert!(m("a?c", "a/c"));
        assert!(!m("a?c", "ac"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("[^a-c]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("[[:digit:]]*", "7up"));
        assert!(!m("[[:bogus:]]", "a"));
        assert!(!m("[abc", "a"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "x"));
        assert!(m("*.c", "dir/file.c"));
        assert!(!m("*.c", "file.h"));
        assert!(m("a[-]b", "a-b"));
        assert!(m("[a-]", "-"));
    }

    fn pm(p: &str, t: &str) -> bool {
        wildmatch_pathname(p.as_bytes(), t.as_bytes())
    }

    /// Cases from git's t3070-wildmatch.sh (the `pathmatch` column).
    #[test]
    fn pathname_globs_as_git_matches_them() {
        assert!(!pm("*", "a/b"));
        assert!(pm("*", "ab"));
        assert!(!pm("a?c", "a/c"));
        assert!(!pm("a[/]c", "a/c"));
        assert!(pm("**/foo", "foo"));
        assert!(pm("**/foo", "x/y/foo"));
        assert!(!pm("**/foo", "xfoo"));
        assert!(pm("foo/**", "foo/a/b"));
        assert!(!pm("foo/**", "foo"));
        assert!(pm("a/**/b", "a/b"));
        assert!(pm("a/**/b", "a/x/y/b"));
        assert!(!pm("a/*/b", "a/x/y/b"));
        assert!(pm("a/*/b", "a/x/b"));
        assert!(pm("foo/*.c", "foo/x.c"));
        assert!(!pm("foo/*.c", "foo/d/x.c"));
        assert!(pm("**/*.c", "d/e/x.c"));
        assert!(pm("*/foo", "bar/foo"));
        assert!(!pm("*/foo", "bar/baz/foo"));
        assert!(pm("foo**bar", "fooxbar"));
        assert!(!pm("foo**bar", "foo/bar"));
        assert!(pm("t/t????-*.sh", "t/t1234-x.sh"));
        assert!(pm("Documentation/**/*.adoc", "Documentation/a/b.adoc"));
        assert!(pm("Documentation/**/*.adoc", "Documentation/b.adoc"));
        assert!(pm("**/bar*", "deep/foo/bar/baz/bar.txt"));
        assert!(!pm("*/bar", "deep/foo/bar"));
        assert!(pm("**/bar/*", "deep/foo/bar/baz"));
        assert!(!pm("**/bar/*", "deep/foo/bar/baz/"));
        assert!(pm("**/bar/**", "deep/foo/bar/baz/"));
        assert!(pm("*/bar/**", "foo/bar/baz/x"));
        assert!(pm("XXX/\\[", "XXX/["));
    }
}
