//! git's C-style quoting of paths (`quote.c`), undone.

use std::path::PathBuf;

/// git's `unquote_c_style`: the bytes of the quoted string at the start of
/// `s` (`"..."` with `\n`, `\t`, `\\`, `\"`, `\a`..`\v` and octal
/// escapes) and what follows its closing quote; `None` if `s` doesn't
/// start with a quote or the quoting is broken.
pub(crate) fn unquote_c_style(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut rest = s.strip_prefix(b"\"")?;
    let mut out = Vec::new();
    loop {
        let (&b, after) = rest.split_first()?;
        rest = after;
        match b {
            b'"' => return Some((out, rest)),
            b'\\' => {
                let (&e, after) = rest.split_first()?;
                rest = after;
                out.push(match e {
                    b'a' => 7,
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 11,
                    b'\\' | b'"' => e,
                    b'0'..=b'3' => {
                        let octal =
                            |d: Option<&u8>| d.copied().filter(|d| (b'0'..=b'7').contains(d));
                        let d2 = octal(rest.first())?;
                        let d3 = octal(rest.get(1))?;
                        rest = &rest[2..];
                        ((e - b'0') << 6) | ((d2 - b'0') << 3) | (d3 - b'0')
                    }
                    _ => return None,
                });
            }
            _ => out.push(b),
        }
    }
}

/// A path from its bytes (as git stores them).
#[cfg(unix)]
pub(crate) fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(b))
}

/// A path from its bytes (as git stores them; lossy where they are not
/// UTF-8).
#[cfg(not(unix))]
pub(crate) fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_as_git() {
        assert_eq!(
            unquote_c_style(b"\"a b\" rest"),
            Some((b"a b".to_vec(), &b" rest"[..]))
        );
        assert_eq!(
            unquote_c_style(b"\"\\303\\251\\t\\\"\""),
            Some((vec![0xc3, 0xa9, b'\t', b'"'], &b""[..]))
        );
        assert_eq!(unquote_c_style(b"\"\\8\""), None);
        assert_eq!(unquote_c_style(b"\"\\39\""), None);
        assert_eq!(unquote_c_style(b"\"open"), None);
        assert_eq!(unquote_c_style(b"plain"), None);
    }
}
