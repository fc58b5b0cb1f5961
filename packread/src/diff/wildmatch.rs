//! git's `wildmatch` as pathspecs use it (no `WM_PATHNAME`, no case
//! folding): `*` matches any bytes, `/` included; `?` one byte; `[...]`
//! a set with ranges, `!`/`^` negation and `[:class:]`es of the C locale;
//! `\` quotes the next byte.

/// The outcome of a match (git's `WM_*` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wild {
    Match,
    NoMatch,
    /// No placement of an earlier `*` can match either.
    AbortAll,
}

/// Whether `b` makes a path a glob (git's `is_glob_special`).
pub(crate) fn is_glob_special(b: u8) -> bool {
    matches!(b, b'*' | b'?' | b'[' | b'\\')
}

/// Matches `text` against the whole of `pattern`.
pub(crate) fn wildmatch(pattern: &[u8], text: &[u8]) -> Wild {
    match dowild(pattern, text) {
        Wild::Match => Wild::Match,
        _ => Wild::NoMatch,
    }
}

fn dowild(mut p: &[u8], mut text: &[u8]) -> Wild {
    while let Some((&p_ch, rest)) = p.split_first() {
        let t_ch = text.first().copied();
        if t_ch.is_none() && p_ch != b'*' {
            return Wild::AbortAll;
        }
        let t = t_ch.unwrap_or(0);
        match p_ch {
            b'\\' => {
                // A literal byte (a trailing `\` matches nothing).
                let Some((&lit, rest)) = rest.split_first() else {
                    return Wild::NoMatch;
                };
                if t != lit {
                    return Wild::NoMatch;
                }
                p = rest;
            }
            b'?' => p = rest,
            b'*' => {
                let mut rest = rest;
                while let Some((b'*', r)) = rest.split_first() {
                    rest = r;
                }
                if rest.is_empty() {
                    return Wild::Match;
                }
                let mut at = text;
                while !at.is_empty() {
                    match dowild(rest, at) {
                        Wild::NoMatch => {}
                        other => return other,
                    }
                    at = &at[1..];
                }
                return Wild::AbortAll;
            }
            b'[' => match bracket(rest, t) {
                Some((true, after)) => p = after,
                Some((false, _)) => return Wild::NoMatch,
                None => return Wild::AbortAll,
            },
            _ => {
                if t != p_ch {
                    return Wild::NoMatch;
                }
                p = rest;
            }
        }
        text = &text[1..];
    }
    if text.is_empty() {
        Wild::Match
    } else {
        Wild::NoMatch
    }
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
}
