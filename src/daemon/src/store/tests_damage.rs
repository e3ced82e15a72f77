//! Damaged data files on a real sled: the seal checked before sled opens, sled's panics
//! on unreadable files, and the mark after a crash.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

const CACHE: u64 = 8 << 20;

/// Opens the store in `dir`, allocates `n` handover ids (with 3 KB of data each),
/// flushes and closes it.
async fn use_store(dir: &Path, n: usize) {
    let store = Store::open(dir, CACHE).expect("open");
    for _ in 0..n {
        let id = store.next_handover_id().expect("id");
        store
            .put_setting(&format!("filler-{}", id.0), &"x".repeat(3000))
            .expect("put");
    }
    store.flush().await.expect("flush");
}

fn damage(dir: &Path, at: u64) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("sled/db"))
        .expect("db");
    f.write_all_at(&[0xAB; 4096], at).expect("write");
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let name = entry
            .strip_prefix(dir)
            .expect("inside")
            .display()
            .to_string();
        if name != "handover-bridge.lock" {
            out.insert(name, std::fs::read(&entry).expect("read"));
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry"))
    {
        if e.file_type().expect("type").is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test]
async fn a_clean_close_seals_the_files_and_the_next_open_checks_and_removes_the_seal() {
    let dir = tempfile::tempdir().expect("tempdir");
    use_store(dir.path(), 3).await;
    assert!(dir.path().join(seal::SEAL_FILE).exists(), "sealed on close");
    let store = Store::open(dir.path(), CACHE).expect("a sealed, unchanged store opens");
    assert!(!dir.path().join(seal::SEAL_FILE).exists());
    assert_eq!(store.next_handover_id().expect("id"), HandoverId(4));
}

#[tokio::test]
async fn a_sealed_file_changed_while_stopped_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    use_store(dir.path(), 3).await;
    damage(dir.path(), 0);
    let before = files(dir.path());
    let err = Store::open(dir.path(), CACHE).err().expect("refused");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Damaged { .. }), "{text}");
    assert!(
        text.contains("sled/db changed while the daemon was stopped"),
        "{text}"
    );
    assert!(text.contains("Nothing was changed"), "{text}");
    assert_eq!(files(dir.path()), before, "not a byte was written");
}

#[tokio::test]
async fn after_a_crash_a_damaged_file_is_refused_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    use_store(dir.path(), 300).await;
    // A crash leaves no seal.
    std::fs::remove_file(dir.path().join(seal::SEAL_FILE)).expect("unseal");
    damage(dir.path(), 0);
    let err = Store::open(dir.path(), CACHE).err().expect("refused");
    let text = err.to_string();
    // Depending on where sled's log put things, sled panics on the damaged header
    // (caught) or reads the file as empty: either way a refusal, not a panic.
    assert!(
        text.contains("sled cannot read sled/db")
            || text.contains("sled found no Handover Bridge records"),
        "{text}"
    );
    assert!(text.contains("sled's recovery ran"), "{text}");
}

#[tokio::test]
async fn after_a_crash_a_store_behind_its_mark_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = tempfile::tempdir().expect("tempdir");
    use_store(dir.path(), 2).await;
    for f in walk(&dir.path().join("sled")) {
        let to = old.path().join(f.strip_prefix(dir.path()).expect("inside"));
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&f, to).expect("copy");
    }
    use_store(dir.path(), 5).await;
    // The older files come back without their seal, as after a crash.
    std::fs::remove_dir_all(dir.path().join("sled")).expect("rm");
    std::fs::rename(old.path().join("sled"), dir.path().join("sled")).expect("mv");
    std::fs::remove_file(dir.path().join(seal::SEAL_FILE)).expect("unseal");
    let text = Store::open(dir.path(), CACHE)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        text.contains("handover ids up to H-7 were stored, but sled recovered only up to H-2"),
        "{text}"
    );
    assert!(text.contains("handover-bridge.mark"), "{text}");
}
