//! Webhook signature verification, proven by the vector in contracts/frappe.

use frappe_client::webhook::{WebhookError, sign_webhook};
use frappe_client::{Doc, parse_webhook, verify_webhook};

mod common;

fn vector() -> (String, String, String) {
    let v = common::resource("webhook_signature_vector.json");
    (
        v["webhook_secret"].as_str().unwrap().to_owned(),
        v["raw_body"].as_str().unwrap().to_owned(),
        v["expected_x_frappe_webhook_signature"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[test]
fn the_contract_vector_verifies() {
    let (secret, body, sig) = vector();
    assert_eq!(verify_webhook(&secret, body.as_bytes(), &sig), Ok(()));
    assert_eq!(sign_webhook(&secret, body.as_bytes()), sig);
}

#[test]
fn a_changed_body_or_secret_is_refused() {
    let (secret, body, sig) = vector();
    let tampered = body.replace("CUST-00042", "CUST-00043");
    assert_eq!(
        verify_webhook(&secret, tampered.as_bytes(), &sig),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_webhook("other-secret", body.as_bytes(), &sig),
        Err(WebhookError::BadSignature)
    );
    // Re-serialising changes the bytes (no spaces after separators): verification is over raw bytes.
    let reserialised =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    assert_eq!(
        verify_webhook(&secret, reserialised.as_bytes(), &sig),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn missing_or_malformed_signatures_are_named() {
    let (secret, body, _) = vector();
    assert_eq!(
        verify_webhook(&secret, body.as_bytes(), ""),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verify_webhook(&secret, body.as_bytes(), "%%%"),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verify_webhook(&secret, body.as_bytes(), "c2hvcnQ="),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verify_webhook("", body.as_bytes(), "c2hvcnQ="),
        Err(WebhookError::EmptySecret)
    );
}

#[test]
fn parse_webhook_verifies_then_decodes_a_typed_payload() {
    #[derive(serde::Deserialize, Debug)]
    struct CustomerHook {
        customer_name: String,
        mobile_no: String,
    }
    let (secret, body, sig) = vector();
    let doc: Doc<CustomerHook> = parse_webhook(&secret, body.as_bytes(), &sig).unwrap();
    assert_eq!(doc.name.as_str(), "CUST-00042");
    assert_eq!(doc.fields.customer_name, "Ferme Tremblay");
    assert_eq!(doc.fields.mobile_no, "+14505550123");

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        grand_total: f64,
    }
    let err = parse_webhook::<Wrong>(&secret, body.as_bytes(), &sig).unwrap_err();
    assert!(matches!(err, WebhookError::Payload { .. }), "{err:?}");
    assert!(!err.to_string().contains(&secret));
}
