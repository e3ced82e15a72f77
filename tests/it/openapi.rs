//! The OpenAPI document against the real router: every route the router registers is
//! documented and every documented route exists (by the source and by asking the
//! running daemon), each documented method answers and the others are refused with
//! 405, every `$ref` resolves, and real answers carry the documented properties.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::*;

const DOC: &str = include_str!("../../src/daemon/src/ingress/openapi.json");
const ROUTER: &str = include_str!("../../src/daemon/src/ingress/mod.rs");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn doc() -> Value {
    serde_json::from_str(DOC).expect("the document is JSON")
}

/// The paths the router registers (the `.route("…"` literals in its source).
fn router_paths() -> BTreeSet<String> {
    ROUTER
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_sane_and_documents_exactly_the_routers_paths() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert!(d["info"]["title"].is_string() && d["info"]["version"].is_string());
    let paths = d["paths"].as_object().expect("paths");
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(documented, router_paths(), "documented vs registered paths");
    for (path, item) in paths {
        let ops: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item.get(*m).is_some())
            .collect();
        assert!(!ops.is_empty(), "{path} has operations");
        for m in ops {
            let responses = item[m]["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{m} {path} has responses");
            if path.starts_with("/v1/") {
                assert_eq!(item[m]["security"], json!([{"bearer": []}]), "{m} {path}");
                assert!(responses.contains_key("401"), "{m} {path} documents 401");
            }
        }
    }
    let mut all = Vec::new();
    refs(&d, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').expect("a local $ref");
        assert!(d.pointer(pointer).is_some(), "{r} resolves");
    }
}

/// `/v1/handovers/{handover_id}` with the ids of this test's data.
fn concrete(path: &str) -> String {
    path.replace("{handover_id}", "H-1")
        .replace("{conversation_id}", "doc-1")
}

#[tokio::test]
async fn every_documented_method_answers_and_the_others_are_refused() {
    let t = TestDaemon::start("").await;
    let created = t.api.post("/v1/handovers", handover_request("doc-1")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let d = doc();
    for (path, item) in d["paths"].as_object().expect("paths") {
        let url = concrete(path);
        for m in METHODS {
            let body = if m == "get" {
                Vec::new()
            } else {
                b"{}".to_vec()
            };
            let r = t.api.raw(&m.to_uppercase(), &url, Some(TOKEN), body).await;
            let code = r.body["error"]["code"].as_str().unwrap_or("");
            if item.get(m).is_some() {
                assert!(
                    r.status != 405
                        && !(r.status == 404
                            && code == "not_found"
                            && r.text.contains("this path")),
                    "{m} {url}: {} {}",
                    r.status,
                    r.text
                );
                let documented = item[m]["responses"]
                    .as_object()
                    .expect("responses")
                    .contains_key(r.status.as_str());
                assert!(
                    documented,
                    "{m} {url} answered {} undocumented: {}",
                    r.status, r.text
                );
            } else {
                assert_eq!(r.status, 405, "{m} {url} is not documented: {}", r.text);
            }
        }
    }
    t.stop().await;
}

/// The documented schema's required properties, found in a real answer.
fn has_required(d: &Value, schema: &str, answer: &Value) {
    let s = &d["components"]["schemas"][schema];
    for p in s["required"].as_array().expect("required") {
        let p = p.as_str().expect("name");
        assert!(answer.get(p).is_some(), "{schema}.{p} missing in {answer}");
    }
}

#[tokio::test]
async fn real_answers_carry_the_documented_properties() {
    let t = TestDaemon::start("").await;
    let d = doc();
    let created = t.api.post("/v1/handovers", handover_request("doc-2")).await;
    has_required(&d, "HandoverCreated", &created.body);
    has_required(&d, "Handover", &t.api.get("/v1/handovers/H-1").await.body);
    has_required(&d, "HandoverPage", &t.api.get("/v1/handovers").await.body);
    has_required(
        &d,
        "Conversation",
        &t.api.get("/v1/conversations/doc-2").await.body,
    );
    let m = t
        .api
        .post(
            "/v1/conversations/doc-2/messages",
            json!({"message_id": "m1", "text": "hi"}),
        )
        .await;
    has_required(&d, "MessageAnswer", &m.body);
    has_required(&d, "Analytics", &t.api.get("/v1/analytics").await.body);
    let bad = t
        .api
        .post("/v1/handovers", json!({"conversation_id": ""}))
        .await;
    has_required(&d, "Error", &bad.body);
    assert!(bad.body["error"]["code"].is_string() && bad.body["error"]["message"].is_string());
    let served = t.api.raw("GET", "/openapi.json", None, Vec::new()).await;
    assert_eq!(served.body, d, "GET /openapi.json serves this document");
    t.stop().await;
}
