//! `--textconv` and `--filters`: what git would do to a blob for a path.
//! packread runs no textconv program and makes no work-tree conversion: it
//! shows the object as stored where the path's attributes call for
//! neither (as git does then), and refuses, saying which attribute asks,
//! where git would run or convert.

use packread::attributes::{Attributes, Checkout, Sources, State};
use packread::diff::DiffConfig;

use crate::Exit;
use crate::context::Context;

/// The attributes and settings paths are looked up in.
pub(super) struct Transform {
    attributes: Attributes,
    checkout: Checkout,
    diff: DiffConfig,
}

impl Transform {
    /// The repository's (its work tree's `.gitattributes` when the command
    /// runs in one).
    pub(super) fn new(cx: &Context) -> Transform {
        match &cx.refs {
            Some(refs) => {
                let work_tree = cx.setup.in_work_tree().then(|| cx.setup.work_tree_top());
                Transform {
                    attributes: Attributes::new(Sources::for_repository(
                        refs.common_dir(),
                        work_tree,
                    )),
                    checkout: Checkout::read(refs.common_dir()),
                    diff: DiffConfig::read(refs.common_dir()),
                }
            }
            None => Transform {
                attributes: Attributes::new(Sources::default()),
                checkout: Checkout::default(),
                diff: DiffConfig::default(),
            },
        }
    }

    /// packread's refusal where git would run a textconv program
    /// (`textconv`) or convert for the work tree the blob at `path`;
    /// `None` where git shows it as stored.
    pub(super) fn refusal(&mut self, path: &[u8], textconv: bool) -> Option<Exit> {
        let shown = String::from_utf8_lossy(path);
        if textconv {
            let State::Value(driver) = self.attributes.get(path, "diff") else {
                return None;
            };
            return self.diff.driver_textconv(&driver).then(|| {
                Exit::Fatal(format!(
                    "packread cat-file does not run textconv programs (diff={} for '{shown}')",
                    String::from_utf8_lossy(&driver)
                ))
            });
        }
        let why = self.checkout.conversion(&mut self.attributes, path)?;
        Some(Exit::Fatal(format!(
            "packread cat-file does not convert for the work tree ({why} for '{shown}')"
        )))
    }
}
