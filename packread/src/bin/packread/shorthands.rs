//! The commit a parent shorthand (`<rev>^@`, `<rev>^!`, `<rev>^-<n>`,
//! found by [`packread::revision::parent_shorthand`]) starts from, and its
//! parents, as the CLI resolves it.

use packread::refs::RefStore;
use packread::{ObjectId, Reader};

use crate::Exit;
use crate::context::Context;

/// The object `name` names, the commit it leads to (tags followed) and
/// that commit's parents (none at a shallow boundary): `None` where it
/// names no commit, or can't be read.
pub fn commit_and_parents(
    cx: &Context,
    reader: &mut Reader,
    refs: &RefStore,
    name: &str,
) -> Result<Option<(ObjectId, ObjectId, Vec<ObjectId>)>, Exit> {
    let Ok(rev) = crate::names::resolve_revision(cx, reader, refs, name) else {
        return Ok(None);
    };
    let shallow = cx.shallow()?;
    let found = packread::history::commit_and_parents(reader, rev.id, &shallow);
    Ok(found
        .ok()
        .flatten()
        .map(|(commit, parents)| (rev.id, commit, parents)))
}
