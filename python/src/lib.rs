//! `packread._packread`: packread's object database for Python, the native
//! part of the `packread` package (its Python part, `packread/`, adds the
//! `io` stream class and the `GitPython` backend).
//!
//! Every read runs with the GIL released, on a reader taken from the
//! database's pool, so that Python threads read one database in parallel.
//!
//! ```python
//! import packread
//! odb = packread.Odb(".")
//! obj = odb.read("ce013625030ba8dba906f756967f9e9ca394464a")
//! print(obj.type, obj.size, obj.data)
//! ```

// pyo3 hands arguments over by value (`PathBuf`, say): its extraction owns them.
#![allow(clippy::needless_pass_by_value)]

mod errors;
mod gitpython;
mod history;
mod ids;
mod odb;
mod repository;
mod stream;

use pyo3::prelude::*;

/// The module `packread._packread`.
#[pymodule]
fn _packread(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<odb::Odb>()?;
    m.add_class::<odb::Object>()?;
    m.add_class::<odb::ObjectWalk>()?;
    m.add_class::<odb::IdIter>()?;
    m.add_class::<stream::Stream>()?;
    m.add_class::<repository::Repository>()?;
    m.add_class::<history::Commit>()?;
    m.add_class::<history::Signature>()?;
    m.add_class::<history::CommitIter>()?;
    m.add_class::<history::LineIter>()?;
    m.add_class::<gitpython::GitPythonCommits>()?;
    m.add_class::<history::FileChange>()?;
    errors::register(m)?;
    Ok(())
}
