//! Checks on answers: a success's JSON, a refusal's problem document (RFC 9457) and its
//! stable code, the fields a `validation_failed` problem names, and where a redirect leads.

use reqwest::{Response, StatusCode};
use serde_json::Value;

/// The JSON of a response that must be a success (`Null` for an empty body).
pub async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Reads a problem document and checks its shape: the content type, the status it
/// repeats, a detail a person can act on and the request id.
pub async fn problem(res: Response) -> Value {
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "not a problem document: {ct}"
    );
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert!(body["request_id"].as_str().is_some(), "{body}");
    body
}

/// Checks a problem document's shape; returns its `code`.
pub async fn problem_code(res: Response) -> String {
    problem(res).await["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// Asserts the status (showing the body when it is another) and returns the problem code.
pub async fn refused(res: Response, status: StatusCode) -> String {
    let got = res.status();
    if got != status {
        panic!(
            "expected {status}, got {got}: {}",
            res.text().await.unwrap()
        );
    }
    problem_code(res).await
}

/// The `errors` of a 422 `validation_failed` problem, each with a field and a message.
pub async fn validation_errors(res: Response) -> Value {
    let what = format!("{} {}", res.url().path(), res.status());
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let body = problem(res).await;
    assert_eq!(body["code"], "validation_failed", "{body}");
    let errors = body["errors"].clone();
    let list = errors
        .as_array()
        .unwrap_or_else(|| panic!("no errors[] in {body}"));
    for e in list {
        assert!(e["field"].is_string(), "{body}");
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    errors
}

/// The fields a 422 `validation_failed` problem names, in its order.
pub async fn invalid_fields(res: Response) -> Vec<String> {
    validation_errors(res)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Where a redirect points (empty when it is not one).
pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
