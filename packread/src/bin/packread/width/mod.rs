//! Display widths as git counts them to expand tabs in `log`'s messages
//! (utf8.c's `git_wcwidth`, pretty.c's `pp_utf8_width`): a character is
//! zero, one or two columns wide (`table.rs`, which `generate.py` makes by
//! asking git 2.47 the width of every code point: its tables follow Unicode
//! 16); a control character or bytes that are not UTF-8 have no width, and
//! git leaves the rest of the line as it is.

mod table;

/// The columns `ch` takes, as git's `git_wcwidth`; `None` for a control
/// character.
fn char_width(ch: char) -> Option<usize> {
    let c = u32::from(ch);
    if c == 0 {
        return Some(0);
    }
    if c < 32 || (0x7f..0xa0).contains(&c) {
        return None;
    }
    let within = |t: &[(u32, u32)]| {
        t.binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
    };
    Some(if within(table::ZERO_WIDTH) {
        0
    } else if within(table::DOUBLE_WIDTH) {
        2
    } else {
        1
    })
}

/// The columns `text` takes, as git's `pp_utf8_width`; `None` where git
/// gives up: bytes that are not UTF-8 as git reads it (which also refuses
/// U+FFFE and U+FFFF) or a control character.
pub fn text_width(text: &[u8]) -> Option<usize> {
    if text.is_ascii() {
        // One column each, unless a control character is among them.
        return (!text.iter().any(|&b| b < 32 && b != 0 || b == 0x7f))
            .then(|| text.iter().filter(|&&b| b != 0).count());
    }
    let s = std::str::from_utf8(text).ok()?;
    s.chars().try_fold(0, |w, ch| {
        if matches!(ch, '\u{FFFE}' | '\u{FFFF}') {
            return None;
        }
        Some(w + char_width(ch)?)
    })
}

/// `text` with its tabs expanded to the next multiple of 8 columns, as
/// git's `strbuf_add_tabexpand`: from the first tab whose text before it
/// has no width (see [`text_width`]), the rest is left as it is.
pub fn expand_tabs(text: &[u8], out: &mut Vec<u8>) {
    let mut rest = text;
    while let Some(tab) = memchr::memchr(b'\t', rest) {
        let Some(width) = text_width(&rest[..tab]) else {
            break;
        };
        out.extend_from_slice(&rest[..tab]);
        out.resize(out.len() + 8 - width % 8, b' ');
        rest = &rest[tab + 1..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_as_git_counts_them() {
        assert_eq!(text_width(b"abc"), Some(3));
        assert_eq!(text_width("漢字".as_bytes()), Some(4));
        assert_eq!(text_width("e\u{301}".as_bytes()), Some(1));
        assert_eq!(text_width("\u{AD}".as_bytes()), Some(1));
        assert_eq!(text_width("a\u{200B}b".as_bytes()), Some(2));
        assert_eq!(text_width(b"a\x1b[m"), None);
        assert_eq!(text_width("\u{85}".as_bytes()), None);
        assert_eq!(text_width(b"\xff"), None);
        assert_eq!(text_width("\u{FFFF}".as_bytes()), None);
        assert_eq!(text_width(b"a\0b"), Some(2));
    }

    #[test]
    fn tabs_expand_until_a_width_is_unknown() {
        let mut out = Vec::new();
        expand_tabs("漢\tx\ta\x1b\ty\tz".as_bytes(), &mut out);
        assert_eq!(out, "漢      x       a\x1b\ty\tz".as_bytes());
    }
}
