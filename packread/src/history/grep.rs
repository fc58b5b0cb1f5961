//! `--author`, `--committer`, `--grep` and `--all-match`: which commits a
//! walk shows by their text, as git's `grep.c` decides it for commits.
//! Patterns are POSIX basic regular expressions by default (git's
//! `grep.patternType`), extended ones with `-E`, fixed strings with `-F`,
//! matched line by line on bytes as in the C locale; `-i` ignores ASCII
//! case.

use regex::bytes::{Regex, RegexBuilder};

use crate::history::CommitText;
use crate::mailmap::Mailmap;

/// How patterns are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PatternSyntax {
    /// POSIX basic regular expressions (git's default): `\(`, `\|`, `\{`
    /// are special, `(`, `|`, `{` literal.
    #[default]
    Basic,
    /// POSIX extended regular expressions (`-E`).
    Extended,
    /// Fixed strings (`-F`).
    Fixed,
}

/// The text filter of a walk: a commit is shown if its author line matches
/// one of `authors` (if any), its committer line one of `committers` (if
/// any), and its message one of `messages` (all of them with `all_match`).
#[derive(Clone, Debug, Default)]
pub struct CommitFilter {
    authors: Vec<Regex>,
    committers: Vec<Regex>,
    messages: Vec<Regex>,
    all_match: bool,
    invert: bool,
    mailmap: Option<Mailmap>,
}

/// A pattern that could not be compiled, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPattern {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid pattern '{}': {}", self.pattern, self.reason)
    }
}

impl std::error::Error for BadPattern {}

/// A POSIX basic regular expression in the regex crate's syntax.
fn from_basic(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    // Where `*` is literal and `^` an anchor: at the start of the pattern
    // or of a group or alternative.
    let mut at_start = true;
    while i < chars.len() {
        let c = chars[i];
        let start = at_start;
        at_start = false;
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                i += 2;
                match n {
                    '(' | '|' => {
                        out.push(n);
                        at_start = true;
                    }
                    ')' | '{' | '}' | '+' | '?' => out.push(n),
                    '<' | '>' | 'b' | 'B' | 'w' | 'W' | 's' | 'S' => {
                        out.push('\\');
                        out.push(n);
                    }
                    d if d.is_ascii_digit() => {
                        // Back-references have no equivalent: match the
                        // digit (a pattern git users rarely give).
                        out.push(d);
                    }
                    other => push_literal(&mut out, other),
                }
                continue;
            }
            '[' => {
                // A bracket expression, copied whole (`]` first is literal).
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    if chars[j] == '[' && matches!(chars.get(j + 1), Some(':' | '.' | '=')) {
                        let close = chars[j + 1];
                        j += 2;
                        while j + 1 < chars.len() && !(chars[j] == close && chars[j + 1] == ']') {
                            j += 1;
                        }
                        j += 2;
                        continue;
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    // Unclosed: an error, as glibc's (the regex crate
                    // refuses it the same way).
                    out.push('[');
                    i += 1;
                    continue;
                }
                out.push('[');
                let inside = &chars[i + 1..j];
                for (k, &b) in inside.iter().enumerate() {
                    // POSIX takes `\`, `&`, `~` and a `[` that opens no
                    // `[:class:]` literally; the regex crate would not.
                    let class = b == '[' && matches!(inside.get(k + 1), Some(':' | '.' | '='));
                    if matches!(b, '\\' | '&' | '~') || (b == '[' && !class) {
                        out.push('\\');
                    }
                    out.push(b);
                }
                out.push(']');
                i = j + 1;
                continue;
            }
            '*' if start => push_literal(&mut out, '*'),
            '^' if start => out.push('^'),
            '^' => push_literal(&mut out, '^'),
            '$' if i + 1 == chars.len() || chars[i + 1..].starts_with(&['\\', ')']) => {
                out.push('$');
            }
            '$' => push_literal(&mut out, '$'),
            '(' | ')' | '|' | '{' | '}' | '+' | '?' => push_literal(&mut out, c),
            _ => out.push(c),
        }
        if c == '^' && start {
            at_start = true;
        }
        i += 1;
    }
    out
}

/// A POSIX extended regular expression in the regex crate's syntax: as it
/// is, but for a `)` that closes no group, which glibc takes literally.
fn from_extended(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut depth = 0usize;
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` first (after an optional `^`) is literal.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().expect("peeked"));
                }
                continue;
            }
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class && depth == 0 => {
                out.push_str("\\)");
                continue;
            }
            ')' if !in_class => depth -= 1,
            _ => {}
        }
        out.push(c);
    }
    out
}

fn push_literal(out: &mut String, c: char) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

impl CommitFilter {
    /// A filter of `authors`, `committers` and `messages` patterns written
    /// in `syntax`; `ignore_case` for `-i`, `all_match` for `--all-match`.
    ///
    /// ```
    /// use packread::history::{CommitFilter, PatternSyntax};
    /// let f = CommitFilter::new(&["A U"], &[], &["fix\\(es\\)\\?"], PatternSyntax::Basic, false, false)?;
    /// let commit = b"tree x\nauthor A U Thor <a@b> 1 +0000\ncommitter C <c> 1 +0000\n\nfixes it\n";
    /// assert!(f.matches(commit));
    /// assert!(!f.matches(b"tree x\nauthor B <b> 1 +0000\n\nfixes it\n"));
    /// # Ok::<(), packread::history::BadPattern>(())
    /// ```
    pub fn new(
        authors: &[&str],
        committers: &[&str],
        messages: &[&str],
        syntax: PatternSyntax,
        ignore_case: bool,
        all_match: bool,
    ) -> Result<CommitFilter, BadPattern> {
        let compile = |p: &&str| -> Result<Regex, BadPattern> {
            let source = match syntax {
                PatternSyntax::Basic => from_basic(p),
                PatternSyntax::Extended => from_extended(p),
                PatternSyntax::Fixed => regex::escape(p),
            };
            RegexBuilder::new(&source)
                .unicode(false)
                .case_insensitive(ignore_case)
                .build()
                .map_err(|e| BadPattern {
                    pattern: (*p).to_owned(),
                    reason: e.to_string(),
                })
        };
        Ok(CommitFilter {
            authors: authors.iter().map(compile).collect::<Result<_, _>>()?,
            committers: committers.iter().map(compile).collect::<Result<_, _>>()?,
            messages: messages.iter().map(compile).collect::<Result<_, _>>()?,
            all_match,
            invert: false,
            mailmap: None,
        })
    }

    /// `--invert-grep`: shows the commits none of whose message lines
    /// matches a message pattern (author and committer patterns still
    /// have to match).
    ///
    /// ```
    /// use packread::history::{CommitFilter, PatternSyntax};
    /// let f = CommitFilter::new(&[], &[], &["fix"], PatternSyntax::Basic, false, false)?.inverted();
    /// assert!(!f.matches(b"tree x\n\nfixes it\n"));
    /// assert!(f.matches(b"tree x\n\nadds it\n"));
    /// # Ok::<(), packread::history::BadPattern>(())
    /// ```
    #[must_use]
    pub fn inverted(mut self) -> CommitFilter {
        self.invert = true;
        self
    }

    /// Matches author and committer lines as `mailmap` shows them (what
    /// `git log` does, `log.mailmap` being on by default).
    #[must_use]
    pub fn with_mailmap(mut self, mailmap: Mailmap) -> CommitFilter {
        self.mailmap = Some(mailmap);
        self
    }

    /// Whether the filter has no pattern (every commit passes).
    pub fn is_empty(&self) -> bool {
        self.authors.is_empty() && self.committers.is_empty() && self.messages.is_empty()
    }

    fn messages_pass(&self, hits: &[bool]) -> bool {
        if self.messages.is_empty() {
            true
        } else if self.invert {
            // git's `no_body_match`: no message line may match.
            !hits.iter().any(|&h| h)
        } else if self.all_match {
            hits.iter().all(|&h| h)
        } else {
            hits.iter().any(|&h| h)
        }
    }

    /// How much of a commit's object [`matches`](Self::matches) reads:
    /// the header lines alone for people, the whole for messages.
    ///
    /// ```
    /// use packread::history::{CommitFilter, CommitText, PatternSyntax};
    ///
    /// let people = CommitFilter::new(&["Junio"], &[], &[], PatternSyntax::Basic, false, false)?;
    /// assert_eq!(people.needs(), CommitText::Headers);
    /// let words = CommitFilter::new(&[], &[], &["fix"], PatternSyntax::Basic, false, false)?;
    /// assert_eq!(words.needs(), CommitText::Whole);
    /// # Ok::<(), packread::history::BadPattern>(())
    /// ```
    pub fn needs(&self) -> CommitText {
        if self.messages.is_empty() {
            CommitText::Headers
        } else {
            CommitText::Whole
        }
    }

    /// Whether git shows the commit whose object bytes are `commit`.
    pub fn matches(&self, commit: &[u8]) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut author_hit = false;
        let mut committer_hit = false;
        let mut message_hits = vec![false; self.messages.len()];
        let mut in_headers = true;
        for line in commit.split(|&b| b == b'\n') {
            if in_headers {
                if line.is_empty() {
                    in_headers = false;
                    continue;
                }
                for (prefix, patterns, hit) in [
                    (&b"author "[..], &self.authors, &mut author_hit),
                    (&b"committer "[..], &self.committers, &mut committer_hit),
                ] {
                    if *hit || patterns.is_empty() {
                        continue;
                    }
                    if let Some(ident) = line.strip_prefix(prefix) {
                        let ident = self.person(ident);
                        if patterns.iter().any(|r| r.is_match(&ident)) {
                            *hit = true;
                        }
                    }
                }
                continue;
            }
            for (k, r) in self.messages.iter().enumerate() {
                if !message_hits[k] && r.is_match(line) {
                    message_hits[k] = true;
                }
            }
        }
        self.messages_pass(&message_hits)
            && (self.authors.is_empty() || author_hit)
            && (self.committers.is_empty() || committer_hit)
    }

    /// `Name <email>` of an identity line (git strips what follows the
    /// last `>`), as the mailmap shows it.
    fn person(&self, ident: &[u8]) -> Vec<u8> {
        let end = ident
            .iter()
            .rposition(|&b| b == b'>')
            .map_or(ident.len(), |i| i + 1);
        let ident = &ident[..end];
        let Some(map) = &self.mailmap else {
            return ident.to_vec();
        };
        let Some(open) = memchr::memchr(b'<', ident) else {
            return ident.to_vec();
        };
        let name = ident[..open].trim_ascii_end();
        let email = &ident[open + 1..end.saturating_sub(1).max(open + 1)];
        let (name, email) = map.map(name, email);
        let mut out = name.to_vec();
        out.extend_from_slice(b" <");
        out.extend_from_slice(email);
        out.push(b'>');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::from_basic;

    #[test]
    fn basic_expressions_in_the_regex_syntax() {
        assert_eq!(from_basic("a\\(b\\|c\\)d"), "a(b|c)d");
        assert_eq!(from_basic("a(b|c)+"), "a\\(b\\|c\\)\\+");
        assert_eq!(from_basic("*x"), "\\*x");
        assert_eq!(from_basic("^a*$"), "^a*$");
        assert_eq!(from_basic("a^b$c"), "a\\^b\\$c");
        assert_eq!(from_basic("[]a-z[:digit:]]x"), "[]a-z[:digit:]]x");
        assert_eq!(from_basic("x\\{2\\}"), "x{2}");
        assert_eq!(super::from_extended("a)(b)[)]"), "a\\)(b)[)]");
    }
}
