//! git's ref decorations (`log --decorate`, `%d`, `%D`): the refs that
//! point at each commit, loaded as `load_ref_decorations` loads them (git's
//! default filter: `HEAD`, branches, tags, remote branches, the stash and
//! replace refs; each annotated tag also on what it peels to; a shallow
//! repository's boundary as `grafted`) and written as `format_decorations`
//! writes them, without colors.

use std::collections::HashMap;

use packread::object::commit::Tag;
use packread::{ObjectId, ObjectKind};

use crate::Exit;
use crate::context::Context;

/// How ref names are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `main`, `tag: v1.0`, `origin/main` (git's `--decorate=short`).
    Short,
    /// `refs/heads/main`, `tag: refs/tags/v1.0` (`--decorate=full`).
    Full,
}

/// What a decoration is, as git's `decoration_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Head,
    Local,
    Remote,
    Tag,
    Stash,
    Grafted,
    /// A ref the filter lets through that no namespace types
    /// (`refs/stash/...`).
    Other,
}

struct Decoration {
    kind: Kind,
    name: String,
}

/// Each object's decorations, in the order git shows them.
pub struct Decorations {
    by_id: HashMap<ObjectId, Vec<Decoration>>,
    /// The branch `HEAD` names (`refs/heads/main`), if it is symbolic.
    head_branch: Option<String>,
    style: Style,
}

impl Decorations {
    /// The repository's decorations.
    pub fn load(cx: &Context, style: Style) -> Result<Decorations, Exit> {
        let mut d = Decorations {
            by_id: HashMap::new(),
            head_branch: None,
            style,
        };
        let Some(refs) = cx.refs.as_ref() else {
            return Ok(d);
        };
        let mut reader = cx.odb.reader();
        let mut tag = Vec::new();
        // Every ref in name order, then HEAD: git prepends each to its
        // object's list, so HEAD comes first and the last name first after.
        let mut named: Vec<(String, ObjectId)> = Vec::new();
        for r in refs.all()? {
            let Ok(r) = r else { continue };
            named.extend(refs.target_id(&r)?.map(|id| (r.name, id)));
        }
        if let Some(head) = refs.resolve("HEAD")? {
            if head.symbolic {
                d.head_branch = Some(head.name.clone());
            }
            named.extend(head.id.map(|id| ("HEAD".to_owned(), id)));
        }
        for (name, id) in named {
            if let Some(original) = name.strip_prefix("refs/replace/") {
                // git decorates the object a replace ref replaces.
                if let Some(original) = ObjectId::from_hex(original) {
                    d.add(original, Kind::Grafted, "replaced");
                }
                continue;
            }
            let Some(kind) = kind_of(&name) else { continue };
            // A ref to an object the repository lacks decorates nothing.
            let Ok(header) = reader.header(&id) else {
                continue;
            };
            d.add(id, kind, &name);
            let (mut id, mut object_kind) = (id, header.kind);
            while object_kind == ObjectKind::Tag {
                if reader.read_into(&id, &mut tag).is_err() {
                    break;
                }
                let Ok(parsed) = Tag::parse(&tag, id.kind()) else {
                    break;
                };
                id = parsed.object;
                d.add(id, Kind::Tag, &name);
                object_kind = match reader.header(&id) {
                    Ok(h) => h.kind,
                    Err(_) => break,
                };
            }
        }
        for id in cx.shallow()?.ids() {
            d.add(id, Kind::Grafted, "grafted");
        }
        Ok(d)
    }

    fn add(&mut self, id: ObjectId, kind: Kind, name: &str) {
        self.by_id.entry(id).or_default().insert(
            0,
            Decoration {
                kind,
                name: name.to_owned(),
            },
        );
    }

    /// `id`'s decorations as git's `format_decorations` writes them:
    /// `prefix`, the names joined by `, ` (`HEAD -> main` where HEAD names
    /// a branch that points here too; tags after `tag: `), `suffix`;
    /// nothing without any.
    pub fn write(&self, id: &ObjectId, (prefix, suffix): (&str, &str), out: &mut Vec<u8>) {
        let Some(list) = self.by_id.get(id) else {
            return;
        };
        // git's `current_pointed_by_HEAD`: the branch HEAD names, when both
        // decorate the object.
        let current = list
            .iter()
            .any(|d| d.kind == Kind::Head)
            .then(|| {
                let branch = self.head_branch.as_deref()?;
                list.iter()
                    .position(|d| d.kind == Kind::Local && d.name == branch)
            })
            .flatten();
        let mut first = true;
        for (i, d) in list.iter().enumerate() {
            if Some(i) == current {
                continue;
            }
            out.extend_from_slice(if first { prefix } else { ", " }.as_bytes());
            first = false;
            if d.kind == Kind::Tag {
                out.extend_from_slice(b"tag: ");
            }
            out.extend_from_slice(self.shown(&d.name).as_bytes());
            if d.kind == Kind::Head
                && let Some(c) = current
            {
                out.extend_from_slice(b" -> ");
                out.extend_from_slice(self.shown(&list[c].name).as_bytes());
            }
        }
        if !first {
            out.extend_from_slice(suffix.as_bytes());
        }
    }

    /// A name as the style shows it (git's `prettify_refname`).
    fn shown<'n>(&self, name: &'n str) -> &'n str {
        if self.style == Style::Full {
            return name;
        }
        ["refs/heads/", "refs/tags/", "refs/remotes/"]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .unwrap_or(name)
    }
}

/// The decoration a ref gives under git's default filter (`HEAD`, and
/// what is at or under `refs/heads`, `refs/tags`, `refs/remotes` and
/// `refs/stash`); `None` for the refs it leaves out.
fn kind_of(name: &str) -> Option<Kind> {
    let under = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if name == "HEAD" {
        Some(Kind::Head)
    } else if under("refs/heads") {
        Some(Kind::Local)
    } else if under("refs/tags") {
        Some(Kind::Tag)
    } else if under("refs/remotes") {
        Some(Kind::Remote)
    } else if under("refs/stash") {
        // git's namespace is `refs/stash` exactly; the filter lets
        // `refs/stash/...` through without a type.
        Some(if name == "refs/stash" {
            Kind::Stash
        } else {
            Kind::Other
        })
    } else {
        None
    }
}
