//! The failure answers of the OpenAPI document, made true for every operation at once.
//!
//! Handlers declare the failures their use cases give (403 `not_a_member`, 409
//! `circle_full`, …). The answers the edge itself gives — a body that is not JSON (400),
//! of the wrong type (415) or too large (413), a field that does not fit (422), a query
//! string that does not parse (400/422), a missing or expired token (401), an id that
//! does not parse (404), an exhausted database pool (503), a request that takes too long
//! (408) — follow from how an operation is called, so they are added here from its
//! request body, parameters and security rather than repeated on every handler. Every
//! failure is served as `application/problem+json` with the [`Problem`] schema, and is
//! documented so.
//!
//! [`Problem`]: crate::error::Problem

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::Modify;

/// The content type of every failure.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Adds the edge's failures to every operation and serves every failure as problem JSON.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_edge_failures(op);
                for response in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = response {
                        as_problem(r);
                    }
                }
            }
        }
    }
}

/// What the edge answers, whatever the handler: `(status, description)` by the shape of
/// the operation.
fn add_edge_failures(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        params
            .iter()
            .any(|p| std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place))
    };
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description).into());
    };
    if op.request_body.is_some() {
        add("400", "The body is not valid JSON (`malformed_json`).");
        add("413", "The body is too large (`payload_too_large`).");
        add(
            "415",
            "The body is not sent as `application/json` (`unsupported_media_type`).",
        );
        add(
            "422",
            "A field is missing, of the wrong type, or breaks a rule (`invalid_body`, `validation_failed`); `errors` names the fields.",
        );
    }
    if has(ParameterIn::Query) {
        add("400", "The query string does not parse (`invalid_query`).");
        add(
            "422",
            "A filter breaks a rule (`validation_failed`); `errors` names it.",
        );
    }
    if has(ParameterIn::Path) {
        add(
            "404",
            "Nothing with this id, or an id that is not one (`not_found`).",
        );
    }
    let secured = op
        .security
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .is_some_and(|v| {
            v.as_array()
                .is_some_and(|a| a.iter().any(|r| r != &serde_json::json!({})))
        });
    if secured {
        add(
            "401",
            "No access token, or one that is invalid or expired (`unauthenticated`, `invalid_token`, `session_revoked`).",
        );
    }
    add("408", "The request took too long (`request_timeout`).");
    add(
        "503",
        "Every database connection is taken (`busy`); `Retry-After` says when to try again.",
    );
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, problem_content())
        .build()
}

fn problem_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

/// A failure declared with `body = Problem` is served as problem JSON: say so.
fn as_problem(r: &mut Response) {
    let is_problem = r.content.values().any(|c| {
        matches!(&c.schema, Some(RefOr::Ref(reference)) if reference.ref_location.ends_with("/Problem"))
    });
    if is_problem {
        r.content.clear();
        r.content.insert(PROBLEM_JSON.to_owned(), problem_content());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::super::openapi()).unwrap()
    }

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").expect(&r);
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is referenced but not in the document"
            );
        }
    }

    #[test]
    fn every_failure_is_problem_json_and_every_operation_knows_its_edge_failures() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                for (status, r) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let types: Vec<_> = r["content"].as_object().unwrap().keys().collect();
                        assert_eq!(types, [super::PROBLEM_JSON], "{method} {path} {status}");
                    }
                }
                if op.get("requestBody").is_some() {
                    for s in ["400", "415", "422"] {
                        assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                    }
                }
                if op.get("security").is_some() {
                    assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                }
            }
        }
    }

    #[test]
    fn sign_up_and_event_registrations_are_different_schemas() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["SignUp"]["properties"].get("password").is_some());
        assert!(schemas["Registration"]["properties"]
            .get("password")
            .is_none());
        let body = &doc["paths"]["/api/v1/auth/register"]["post"]["requestBody"];
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SignUp"
        );
    }

    #[test]
    fn text_rules_are_schema_keywords() {
        let doc = document();
        let reason = &doc["components"]["schemas"]["MultiLine500"];
        assert_eq!(reason["maxLength"], 500);
        assert!(reason["pattern"].as_str().is_some());
        let params = doc["paths"]["/api/v1/audit"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let action = params.iter().find(|p| p["name"] == "action").unwrap();
        assert_eq!(action["schema"]["maxLength"], 64, "{action}");
    }
}
