//! Faults outside the daemon, with the real binary: a disk that refuses writes, and data
//! files damaged while the daemon was stopped or after a crash.
//!
//! The full disk is a file-size limit (`ulimit -f`) on the daemon's process: its writes
//! past the limit fail the way writes to a full disk do (an I/O error from `write`;
//! EFBIG instead of ENOSPC), and it needs no privileges, where mounting a small
//! filesystem would.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::process::{BIN, spawn, spawn_command, wait_exit, write_config};
use crate::support::*;

/// `handover-bridge run` with writes limited to files of `blocks` × 512 bytes (and
/// SIGXFSZ ignored, so that a write past it fails instead of killing the process).
fn limited(config: &Path, blocks: u64) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" run --config \"$1\""
        ))
        .arg(BIN)
        .arg(config);
    cmd
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = Receiver::start().await;
    let config = write_config(dir.path(), webhook.addr);
    let mut p = spawn_command(limited(&config, 4096));
    let api = Api::new(p.addr);
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..5_000 {
        let conv = format!("full-{i}");
        let mut req = handover_request(&conv);
        req["summary"] = json!(format!("{i:05} ").repeat(600));
        let r = api.post("/v1/handovers", req).await;
        match r.status.as_u16() {
            201 => acked.push((conv, r.body["handover_id"].clone())),
            503 => {
                refused = Some(r);
                break;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    let r = refused.expect("the 2 MiB limit is reached");
    assert!(acked.len() > 10, "the store worked before it filled up");
    assert_eq!(r.body["error"]["code"], "unavailable", "{}", r.text);
    assert!(r.text.contains("nothing was stored"), "{}", r.text);
    assert!(r.headers.contains_key("retry-after"));
    // Later writes are refused too, and readiness says why.
    let (conv, _) = &acked[0];
    let r = api
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            json!({"message_id": "after-full", "text": "still there?"}),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.text);
    let ready = api.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert_eq!(ready.body["checks"]["store"], "failing", "{}", ready.text);
    assert_eq!(
        api.get("/healthz").await.status,
        200,
        "alive, only not ready"
    );
    let log = p.log.lock().expect("log").join("\n");
    assert!(log.contains("is the disk full?"), "{log}");
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");

    // Space again: everything acknowledged is there, and writes work.
    let mut p = spawn(&config);
    let api = Api::new(p.addr);
    for (conv, id) in &acked {
        let r = api.get(&format!("/v1/conversations/{conv}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(&r.body["handover"]["handover_id"], id, "{conv}: {}", r.text);
    }
    let r = api
        .post("/v1/handovers", handover_request("after-space"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(api.get("/readyz").await.body["checks"]["store"], "open");
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");
}

/// Every file under `dir` (but the lock) and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d)
            .expect("dir")
            .map(|e| e.expect("entry"))
        {
            if e.file_type().expect("type").is_dir() {
                dirs.push(e.path());
            } else if e.file_name() != "handover-bridge.lock" {
                let name = e
                    .path()
                    .strip_prefix(dir)
                    .expect("inside")
                    .display()
                    .to_string();
                out.insert(name, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    out
}

fn overwrite(path: &Path, at: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    f.write_all_at(bytes, at).expect("write");
}

/// Runs `handover-bridge run` expecting it to refuse to start; returns its stderr.
fn refused(config: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let status = wait_exit(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(!status.success(), "it must not start: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "a clear message, not a panic: {stderr}"
    );
    stderr
}

#[tokio::test]
async fn a_data_file_damaged_while_stopped_stops_the_start_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let webhook = Receiver::start().await;
    let config = write_config(dir.path(), webhook.addr);
    let mut p = spawn(&config);
    let api = Api::new(p.addr);
    for i in 0..40 {
        let r = api
            .post("/v1/handovers", handover_request(&format!("kept-{i}")))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let term = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    assert!(wait_exit(&mut p.child, Duration::from_secs(20)).success());
    assert!(
        data.join("handover-bridge.seal").exists(),
        "a clean stop seals"
    );

    // A few bytes of the data file go bad while the daemon is stopped.
    let db = data.join("sled/db");
    let good = std::fs::read(&db).expect("db");
    let at = good.len() as u64 / 2;
    overwrite(&db, at, &[0xAB; 64]);
    let before = files(&data);
    let stderr = refused(&config);
    for want in [
        "are damaged",
        "sled/db changed while the daemon was stopped",
        "Nothing was changed",
        "Backups and restore",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    assert!(
        files(&data) == before,
        "not a byte of the data directory changed"
    );

    // The good bytes back: it starts, with everything.
    std::fs::write(&db, &good).expect("restore");
    let mut p = spawn(&config);
    let api = Api::new(p.addr);
    let list = api.get("/v1/handovers?limit=100").await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(40));
    p.child.kill().expect("kill");
    p.child.wait().expect("reaped");

    // After that crash there is no seal; a file sled cannot read still stops the start
    // with a message, not a panic.
    overwrite(&db, 0, &[0xAB; 4096]);
    let stderr = refused(&config);
    assert!(stderr.contains("are damaged"), "{stderr}");
    assert!(stderr.contains("sled's recovery ran"), "{stderr}");
}
