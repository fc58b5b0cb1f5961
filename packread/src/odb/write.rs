//! New loose objects, written as git's `write_loose_object` writes them:
//! the object's zlib stream (`core.looseCompression`, else
//! `core.compression`, else level 1) into a temporary file created
//! read-only, linked into place (renamed where links fail), with
//! `core.sharedRepository`'s permissions; an object the database already
//! has is not written again, only freshened (its file's time set to now,
//! as git does so that `gc` keeps it).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sirocco::Format;
use sirocco::deflate::{Level, Writer};

use crate::error::Error;
use crate::git_dir::config::config_value;
use crate::object::{ObjectId, ObjectKind};

use super::loose;
use super::{Location, Odb};

/// git's default compression of loose objects (`Z_BEST_SPEED`).
const DEFAULT_LEVEL: u8 = 1;

/// How git writes the loose objects of one repository: from its `config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LooseSettings {
    /// The zlib level (0-9).
    pub(crate) level: u8,
    /// `core.sharedRepository`: `None` (the umask decides), or the
    /// permission bits git adds (`0o660` for `group`, `0o664` for `all`),
    /// or with `exact`, the mode it sets (`0640`).
    pub(crate) shared: Option<u32>,
    /// Whether `shared` is an exact mode (an octal `core.sharedRepository`).
    pub(crate) exact: bool,
}

impl Default for LooseSettings {
    fn default() -> Self {
        LooseSettings {
            level: DEFAULT_LEVEL,
            shared: None,
            exact: false,
        }
    }
}

impl LooseSettings {
    /// The settings of the repository whose `config` file is in `git_dir`
    /// (git's defaults without one).
    pub(crate) fn read(git_dir: &Path) -> LooseSettings {
        let text = fs::read_to_string(git_dir.join("config")).unwrap_or_default();
        let level = |key| {
            config_value(&text, "core", key)
                .and_then(|v| v.trim().parse::<i32>().ok())
                .filter(|v| (-1..=9).contains(v))
        };
        let level = match level("loosecompression").or_else(|| level("compression")) {
            Some(-1) => 6,
            Some(n) => u8::try_from(n).unwrap_or(DEFAULT_LEVEL),
            None => DEFAULT_LEVEL,
        };
        let (shared, exact) = match config_value(&text, "core", "sharedrepository")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("" | "false" | "umask" | "no" | "off") => (None, false),
            Some("true" | "group" | "yes" | "on" | "1") => (Some(0o660), false),
            Some("all" | "world" | "everybody" | "2") => (Some(0o664), false),
            Some(octal) => match u32::from_str_radix(octal, 8) {
                Ok(0) => (None, false),
                Ok(mode) if mode <= 0o777 => (Some(mode), true),
                _ => (None, false),
            },
        };
        LooseSettings {
            level,
            shared,
            exact,
        }
    }
}

/// Makes temporary names unique within the process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Odb {
    /// Writes an object of `kind` with content `data` as a loose object of
    /// the database's own directory, as `git hash-object -w` writes it
    /// (see the module); returns its id. An object the database has
    /// already is not written again.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = packread::doctest::Scratch::committed("write", &[("a.txt", "a\n")])?;
    /// use packread::{ObjectKind, Odb};
    /// let odb = Odb::open(&dir)?;
    /// let id = odb.write_object(ObjectKind::Blob, b"hello\n")?;
    /// assert_eq!(id.to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
    /// assert_eq!(odb.reader().read(&id)?.data, b"hello\n");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Write`] naming the file or directory that could not be
    /// made; [`Error::Unsupported`] for a database opened without an
    /// objects directory of its own; [`Error::Corrupt`] for content that
    /// SHA-1 collision detection finds to be part of an attack.
    pub fn write_object(&self, kind: ObjectKind, data: &[u8]) -> Result<ObjectId, Error> {
        self.write_object_from(kind, data.len() as u64, &mut &data[..])
    }

    /// As [`write_object`](Self::write_object), the content read from
    /// `reader` (exactly `size` bytes: fewer or more is an error), never
    /// held whole.
    ///
    /// # Errors
    /// As [`write_object`](Self::write_object); the reader's errors, and
    /// [`Error::InvalidOption`] if it gives other than `size` bytes.
    pub fn write_object_from(
        &self,
        kind: ObjectKind,
        size: u64,
        reader: &mut dyn Read,
    ) -> Result<ObjectId, Error> {
        let objects_dir = self.own_objects_dir()?;
        let git_dir = objects_dir.parent().unwrap_or(&objects_dir);
        let settings = LooseSettings::read(git_dir);
        let (temp, id) = write_temp(
            &objects_dir,
            self.hash_kind(),
            kind,
            size,
            reader,
            &settings,
        )?;
        // Only the database's own copies count (git checks, never fetches).
        let existing = match self.reader().locate_local(&id) {
            Ok(Some(Location::Loose { path })) => Some(Some(path)),
            Ok(Some(Location::Packed { pack, .. })) => {
                Some(Some(self.pack(pack).data_path().to_owned()))
            }
            Ok(Some(Location::Builtin)) => Some(None),
            Ok(None) | Err(_) => None,
        };
        if let Some(file) = existing {
            let _ = fs::remove_file(&temp);
            if let Some(file) = file {
                freshen(&file);
            }
            return Ok(id);
        }
        let path = loose::path_of(&objects_dir, &id);
        let dir = path.parent().expect("a loose path has a directory");
        if !dir.is_dir() {
            match fs::create_dir(dir) {
                Ok(()) => adjust_shared(dir, &settings, true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    let _ = fs::remove_file(&temp);
                    return Err(Error::write(dir, e));
                }
            }
        }
        finalize(&temp, &path)?;
        adjust_shared(&path, &settings, false);
        self.note_loose_write();
        Ok(id)
    }

    /// The objects directory new objects go to.
    fn own_objects_dir(&self) -> Result<PathBuf, Error> {
        self.inner
            .objects_dir
            .clone()
            .ok_or_else(|| Error::Unsupported {
                path: PathBuf::new(),
                what: "writing objects to a database without its own objects directory".into(),
            })
    }
}

/// Deflates `"<kind> <size>\0"` and the content into a new read-only file
/// in `objects_dir`, hashing as it goes: the file and the object's id.
fn write_temp(
    objects_dir: &Path,
    hash: crate::object::HashKind,
    kind: ObjectKind,
    size: u64,
    reader: &mut dyn Read,
    settings: &LooseSettings,
) -> Result<(PathBuf, ObjectId), Error> {
    let (temp, file) = create_temp(objects_dir)?;
    let result = (|| -> Result<ObjectId, Error> {
        let header = format!("{} {size}\0", kind.as_str());
        let mut hasher = hash.hasher();
        hasher.update(header.as_bytes());
        let mut out = Writer::new(
            Format::Zlib,
            Level::new(settings.level),
            io::BufWriter::new(file),
        );
        out.write_all(header.as_bytes())
            .map_err(|e| Error::write(&temp, e))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut left = size;
        loop {
            let n = reader.read(&mut buf).map_err(|e| Error::Io {
                path: PathBuf::new(),
                source: e,
            })?;
            if n == 0 {
                break;
            }
            if n as u64 > left {
                return Err(Error::InvalidOption(format!(
                    "the content is longer than the {size} bytes announced"
                )));
            }
            left -= n as u64;
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| Error::write(&temp, e))?;
        }
        if left != 0 {
            return Err(Error::InvalidOption(format!(
                "the content is {left} bytes short of the {size} announced"
            )));
        }
        let file = out.finish().map_err(|e| Error::write(&temp, e))?;
        file.into_inner()
            .map_err(|e| Error::write(&temp, e.into_error()))?;
        hasher
            .try_finish()
            .map_err(|c| Error::corrupt(&temp, 0, c.into()))
    })();
    match result {
        Ok(id) => Ok((temp, id)),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// A new file `tmp_obj_<unique>` in `dir`, created read-only as git's
/// `git_mkstemp_mode(..., 0444)` creates it.
fn create_temp(dir: &Path) -> Result<(PathBuf, File), Error> {
    for _ in 0..100 {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("tmp_obj_{:x}{:x}{n:x}", std::process::id(), nanos);
        let path = dir.join(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o444);
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::write(&path, e)),
        }
    }
    Err(Error::write(
        dir,
        io::Error::new(io::ErrorKind::AlreadyExists, "no unused temporary name"),
    ))
}

/// git's `finalize_object_file`: a link to the final name (an object
/// there already is the same object), a rename where links fail; the
/// temporary file goes either way.
fn finalize(temp: &Path, path: &Path) -> Result<(), Error> {
    match fs::hard_link(temp, path) {
        Ok(()) => {
            let _ = fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let _ = fs::remove_file(temp);
            Ok(())
        }
        Err(_) => fs::rename(temp, path).map_err(|e| {
            let _ = fs::remove_file(temp);
            Error::write(path, e)
        }),
    }
}

/// git's `freshen_loose_object`/`freshen_packed_object`: the file that
/// holds the object gets the current time (where the file system lets
/// its times be set).
fn freshen(file: &Path) {
    if let Ok(f) = File::open(file) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

/// git's `adjust_shared_perm` under `core.sharedRepository`.
fn adjust_shared(path: &Path, settings: &LooseSettings, is_dir: bool) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Some(shared) = settings.shared else {
            return;
        };
        let Ok(meta) = fs::metadata(path) else { return };
        let mode = meta.permissions().mode();
        let mut tweak = shared;
        if mode & 0o200 == 0 {
            tweak &= !0o222;
        }
        if mode & 0o100 != 0 {
            tweak |= (tweak & 0o444) >> 2;
        }
        let mut new = if settings.exact {
            (mode & !0o777) | tweak
        } else {
            mode | tweak
        };
        if is_dir {
            new |= (new & 0o444) >> 2;
            if new & 0o060 != 0 {
                new |= 0o2000;
            }
        }
        if new & 0o7777 != mode & 0o7777 {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(new & 0o7777));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, settings, is_dir);
}
