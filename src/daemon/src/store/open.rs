//! Opening the data directory: the lock (one process per directory), the seal check
//! (see [`super::seal`]), and sled itself, whose panics on a damaged file become a
//! clear [`StoreError::Damaged`] instead of a crash with a backtrace.

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, Write as _};
use std::path::Path;
use std::sync::Once;

use fs2::FileExt;

use super::{StoreError, seal};

/// What [`open`] gives back: the lock, sled, and whether the store was used before.
pub(super) struct Opened {
    pub lock: File,
    pub db: sled::Db,
    /// `sled/db` held something before sled opened it.
    pub had_data: bool,
}

/// Locks `data_dir`, checks the seal, then opens sled in `data_dir/sled`.
pub(super) fn open(data_dir: &Path, cache_bytes: u64) -> Result<Opened, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Open {
        path: data_dir.to_owned(),
        detail: e.to_string(),
    })?;
    let lock = lock_data_dir(data_dir)?;
    seal::check_and_break(data_dir)?;
    let had_data = std::fs::metadata(data_dir.join("sled").join("db")).is_ok_and(|m| m.len() > 0);
    let config = sled::Config::new()
        .path(data_dir.join("sled"))
        .cache_capacity(cache_bytes)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(Some(500));
    let db = quietly(|| config.open())
        .map_err(|panic| {
            seal::recovered_damaged(data_dir, format!("sled cannot read sled/db ({panic})"))
        })?
        .map_err(|e| match e {
            sled::Error::Corruption { at, .. } => seal::recovered_damaged(
                data_dir,
                format!("sled reports damage in sled/db (at {at:?})"),
            ),
            other => StoreError::Open {
                path: data_dir.to_owned(),
                detail: other.to_string(),
            },
        })?;
    Ok(Opened { lock, db, had_data })
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(its message)`; the panic hook stays silent for
/// panics on this thread meanwhile (others are reported as usual).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "it panicked".to_owned())
    })
}

/// Holds an exclusive lock on `data_dir/handover-bridge.lock` for the process's life, and
/// writes this process's id into it so that a second process can say who holds it.
fn lock_data_dir(data_dir: &Path) -> Result<File, StoreError> {
    let path = data_dir.join("handover-bridge.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::Open {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    if file.try_lock_exclusive().is_err() {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = pid.trim();
        let pid = if pid.is_empty() {
            String::new()
        } else {
            format!(" (pid {pid})")
        };
        return Err(StoreError::Locked {
            path: data_dir.to_owned(),
            pid,
        });
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    let _ = file.sync_all();
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_quietly_becomes_its_message() {
        assert_eq!(quietly(|| 7), Ok(7));
        let err = quietly(|| -> u8 { panic!("the header is garbage") }).expect_err("panicked");
        assert_eq!(err, "the header is garbage");
        let owned = quietly(|| -> u8 { panic!("{} bytes", 4096) }).expect_err("panicked");
        assert_eq!(owned, "4096 bytes");
    }
}
