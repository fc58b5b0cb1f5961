//! The commit a parent shorthand (`<rev>^@`, `<rev>^!`, `<rev>^-<n>`,
//! found by [`packread::revision::parent_shorthand`]) starts from, and its
//! parents, as the CLI resolves it.

use packread::object::commit::{Commit, Tag};
use packread::refs::RefStore;
use packread::{ObjectId, ObjectKind, Reader};

use crate::Exit;
use crate::context::Context;

/// The commit `name` names (tags followed) and its parents (none at a
/// shallow boundary): `None` where it names no commit.
pub fn commit_and_parents(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    name: &str,
) -> Result<Option<(ObjectId, Vec<ObjectId>)>, Exit> {
    let Ok(rev) = crate::names::resolve_revision(cx, reader, refs, name) else {
        return Ok(None);
    };
    let mut id = rev.id;
    let mut data = Vec::new();
    loop {
        match reader.read_into(&id, &mut data) {
            Ok(ObjectKind::Tag) => match Tag::parse(&data, id.kind()) {
                Ok(tag) => id = tag.object,
                Err(_) => return Ok(None),
            },
            Ok(ObjectKind::Commit) => break,
            _ => return Ok(None),
        }
    }
    let Ok(commit) = Commit::parse(&data, id.kind()) else {
        return Ok(None);
    };
    let parents = if cx.shallow()?.contains(&id) {
        Vec::new()
    } else {
        commit.parents
    };
    Ok(Some((id, parents)))
}
