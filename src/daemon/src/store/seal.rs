//! The seal: the length and CRC-32 of every data file as the store last closed cleanly.
//!
//! sled's recovery cannot tell a damaged file from the torn tail a crash leaves, and it
//! rewrites what it cannot read (or opens a garbled file as an empty database). So a
//! clean close writes `handover-bridge.seal` once sled is closed, and the next open
//! checks every file against it *before* sled touches them: any difference stops the
//! start with the files as they were. The seal is removed once the check passed, so a
//! crash leaves none; after a crash sled's own recovery runs, as it must.
//!
//! The mark covers that case: at most once a second, after a flush, `handover-bridge.mark`
//! records the last handover id known to be on disk. If sled recovers less than that,
//! part of the file was unreadable and the start stops before anything is written.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::StoreError;

pub(super) const SEAL_FILE: &str = "handover-bridge.seal";
const MARK_FILE: &str = "handover-bridge.mark";
/// The least time between two writes of the mark.
const MARK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Sum {
    len: u64,
    crc32: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Seal {
    version: u32,
    /// Path relative to the sled directory ('/'-separated) → its sum.
    files: BTreeMap<String, Sum>,
}

/// Writes the seal when the store's last handle goes: declared after the sled handles in
/// the store, it is dropped after them, when sled has flushed and closed its files.
pub(super) struct Sealer {
    pub(super) data_dir: PathBuf,
}

impl Drop for Sealer {
    fn drop(&mut self) {
        match write(&self.data_dir) {
            Ok(()) => tracing::debug!("The store is closed and sealed."),
            Err(e) => tracing::warn!(
                error = %e,
                "Could not seal the closed store; the next start will run sled's crash recovery."
            ),
        }
    }
}

fn sums(sled_dir: &Path) -> std::io::Result<BTreeMap<String, Sum>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(rel) = dirs.pop() {
        for entry in std::fs::read_dir(sled_dir.join(&rel))? {
            let entry = entry?;
            let rel = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                dirs.push(rel);
                continue;
            }
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(name, sum(&sled_dir.join(&rel))?);
        }
    }
    Ok(out)
}

fn sum(path: &Path) -> std::io::Result<Sum> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok(Sum {
        len,
        crc32: hasher.finalize(),
    })
}

/// Seals the closed store.
fn write(data_dir: &Path) -> std::io::Result<()> {
    let seal = Seal {
        version: 1,
        files: sums(&data_dir.join("sled"))?,
    };
    write_atomic(data_dir, SEAL_FILE, &seal)
}

/// Writes `value` as JSON beside `name`, syncs it, then renames it over `name`.
fn write_atomic(data_dir: &Path, name: &str, value: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    let tmp = data_dir.join(format!("{name}.new"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&text)?;
    f.sync_all()?;
    std::fs::rename(&tmp, data_dir.join(name))?;
    sync_dir(data_dir)
}

#[derive(Serialize, Deserialize)]
struct MarkFile {
    /// The last handover id allocated before a flush that succeeded.
    next_handover_id: u64,
}

/// Keeps `handover-bridge.mark` close behind the store's handover counter.
pub(super) struct Mark {
    data_dir: PathBuf,
    /// The id last written, and when.
    last: Mutex<(u64, Option<Instant>)>,
}

impl Mark {
    pub(super) fn new(data_dir: &Path, recovered: u64) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            last: Mutex::new((recovered, None)),
        }
    }

    /// After a flush that covered `next_id`: writes it, unless written less than
    /// [`MARK_EVERY`] ago or unchanged.
    pub(super) fn after_flush(&self, next_id: u64) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let due = last.1.is_none_or(|at| at.elapsed() >= MARK_EVERY);
        if next_id <= last.0 || !due {
            return;
        }
        let mark = MarkFile {
            next_handover_id: next_id,
        };
        match write_atomic(&self.data_dir, MARK_FILE, &mark) {
            Ok(()) => *last = (next_id, Some(Instant::now())),
            Err(e) => tracing::warn!(error = %e, "Cannot write {MARK_FILE}."),
        }
    }
}

/// The id in the mark, if there is a readable one.
pub(super) fn read_mark(data_dir: &Path) -> Option<u64> {
    let text = std::fs::read(data_dir.join(MARK_FILE)).ok()?;
    serde_json::from_slice::<MarkFile>(&text)
        .ok()
        .map(|m| m.next_handover_id)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Before sled opens: checks the files against the seal, if there is one, then removes
/// it. A difference is [`StoreError::Damaged`] and nothing is written.
pub(super) fn check_and_break(data_dir: &Path) -> Result<(), StoreError> {
    let path = data_dir.join(SEAL_FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(damaged(data_dir, format!("cannot read {SEAL_FILE}: {e}"))),
    };
    let seal: Seal = serde_json::from_slice(&text)
        .map_err(|e| damaged(data_dir, format!("{SEAL_FILE} cannot be read: {e}")))?;
    let found = sums(&data_dir.join("sled"))
        .map_err(|e| damaged(data_dir, format!("cannot read the data files: {e}")))?;
    if let Some(diff) = first_difference(&seal.files, &found) {
        return Err(damaged(data_dir, diff));
    }
    std::fs::remove_file(&path)
        .and_then(|()| sync_dir(data_dir))
        .map_err(|e| StoreError::Open {
            path: data_dir.to_owned(),
            detail: format!("cannot remove {SEAL_FILE}: {e}"),
        })
}

fn first_difference(want: &BTreeMap<String, Sum>, got: &BTreeMap<String, Sum>) -> Option<String> {
    for (name, w) in want {
        match got.get(name) {
            None => return Some(format!("sled/{name} is missing")),
            Some(g) if g != w => {
                return Some(format!(
                    "sled/{name} changed while the daemon was stopped ({} bytes, CRC-32 {:08x}; sealed at {} bytes, {:08x})",
                    g.len, g.crc32, w.len, w.crc32
                ));
            }
            Some(_) => {}
        }
    }
    got.keys()
        .find(|name| !want.contains_key(*name))
        .map(|name| format!("sled/{name} appeared while the daemon was stopped"))
}

/// Damage found before sled opened: the files are as they were.
pub(super) fn damaged(data_dir: &Path, detail: String) -> StoreError {
    StoreError::Damaged {
        path: data_dir.to_owned(),
        detail,
        advice: format!(
            "Nothing was changed. Restore the data directory from a backup (deploy.md, \"Backups and restore\"); if you replaced the files on purpose, delete {}/{SEAL_FILE} first",
            data_dir.display()
        ),
    }
}

/// Damage found once sled's recovery had run (it may have written).
pub(super) fn recovered_damaged(data_dir: &Path, detail: String) -> StoreError {
    StoreError::Damaged {
        path: data_dir.to_owned(),
        detail,
        advice: format!(
            "sled's recovery ran before this was found; Handover Bridge wrote nothing. Keep a copy of the directory as it is, then restore from a backup (deploy.md, \"Backups and restore\"); if you restored an older copy on purpose, delete {}/{MARK_FILE} first",
            data_dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("test step");
        for (name, bytes) in files {
            let path = dir.path().join("sled").join(name);
            std::fs::create_dir_all(path.parent().expect("test step")).expect("test step");
            std::fs::write(path, bytes).expect("test step");
        }
        dir
    }

    #[test]
    fn an_unchanged_sealed_store_passes_once_and_the_seal_is_gone() {
        let dir = dir_with(&[("db", b"records"), ("conf", b"c"), ("blobs/1", b"b")]);
        write(dir.path()).expect("test step");
        check_and_break(dir.path()).expect("test step");
        assert!(!dir.path().join(SEAL_FILE).exists());
        // No seal (after a crash): nothing to check.
        check_and_break(dir.path()).expect("test step");
    }

    #[test]
    fn a_changed_missing_or_new_file_is_refused_and_the_seal_stays() {
        type Damage = fn(&Path);
        let cases: [(&str, Damage); 4] = [
            ("changed while", |d| {
                std::fs::write(d.join("sled/db"), b"recordz").expect("test step")
            }),
            ("changed while", |d| {
                std::fs::write(d.join("sled/db"), b"rec").expect("test step")
            }),
            ("missing", |d| {
                std::fs::remove_file(d.join("sled/blobs/1")).expect("test step")
            }),
            ("appeared", |d| {
                std::fs::write(d.join("sled/snap.1"), b"s").expect("test step")
            }),
        ];
        for (want, damage) in cases {
            let dir = dir_with(&[("db", b"records"), ("blobs/1", b"b")]);
            write(dir.path()).expect("test step");
            damage(dir.path());
            let err = check_and_break(dir.path())
                .expect_err("refused")
                .to_string();
            assert!(err.contains(want), "{err}");
            assert!(err.contains("restore"), "{err}");
            assert!(
                dir.path().join(SEAL_FILE).exists(),
                "a refused start keeps the seal"
            );
        }
    }

    #[test]
    fn the_mark_is_written_at_most_once_a_second_and_only_forward() {
        let dir = tempfile::tempdir().expect("test step");
        assert_eq!(read_mark(dir.path()), None);
        let mark = Mark::new(dir.path(), 3);
        mark.after_flush(3);
        assert_eq!(read_mark(dir.path()), None, "nothing new since the start");
        mark.after_flush(5);
        assert_eq!(read_mark(dir.path()), Some(5));
        mark.after_flush(9);
        assert_eq!(
            read_mark(dir.path()),
            Some(5),
            "written less than a second ago"
        );
        *mark.last.lock().expect("test step") = (5, Some(Instant::now() - MARK_EVERY));
        mark.after_flush(9);
        assert_eq!(read_mark(dir.path()), Some(9));
    }

    #[test]
    fn a_garbled_seal_is_refused_too() {
        let dir = dir_with(&[("db", b"records")]);
        std::fs::write(dir.path().join(SEAL_FILE), b"{not json").expect("test step");
        let err = check_and_break(dir.path())
            .expect_err("refused")
            .to_string();
        assert!(err.contains("cannot be read"), "{err}");
    }
}
