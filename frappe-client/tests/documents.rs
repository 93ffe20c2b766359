//! Single-document calls against wiremock, with fixtures from contracts/frappe.

use frappe_client::{Doc, DocPatch, DocStatus, Filter, FrappeDateTime};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

mod common;
use common::{catch_all, received, resource, setup};

#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
struct Person {
    first_name: String,
    last_name: Option<String>,
}

#[tokio::test]
async fn get_decodes_standard_columns_and_keeps_unknown_keys() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/resource/Person/000000012"))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource("v1_get_doc.json")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let doc = client
        .doctype("Person")
        .typed::<Person>()
        .get("000000012")
        .await
        .unwrap();
    assert_eq!(doc.fields.first_name, "Jane");
    assert_eq!(doc.docstatus, DocStatus::Draft);
    assert_eq!(
        doc.modified.unwrap().to_string(),
        "2014-04-25 17:56:51.105372"
    );
    insta::assert_debug_snapshot!(doc);
    insta::assert_json_snapshot!(received(&server).await, { "[].headers" => insta::sorted_redaction() });
}

#[tokio::test]
async fn get_percent_encodes_doctype_and_names_with_slashes() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/resource/Sales%20Invoice/ACC-SINV%2F2026%201"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "ACC-SINV/2026 1", "docstatus": 1}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let doc = client
        .doctype("Sales Invoice")
        .get("ACC-SINV/2026 1")
        .await
        .unwrap();
    assert_eq!(doc.name.as_str(), "ACC-SINV/2026 1");
    assert_eq!(doc.docstatus, DocStatus::Submitted);
}

#[tokio::test]
async fn child_table_rows_decode_with_their_own_standard_columns() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/resource/User/jane@example.com"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(resource("v1_doc_with_child_table.json")),
        )
        .mount(&server)
        .await;
    #[derive(Debug, serde::Deserialize)]
    struct Login {
        provider: String,
        userid: String,
    }
    #[derive(Debug, serde::Deserialize)]
    struct User {
        email: String,
        social_logins: Vec<Doc<Login>>,
    }
    let user = client
        .doctype("User")
        .typed::<User>()
        .get("jane@example.com")
        .await
        .unwrap();
    assert_eq!(user.fields.email, "jane@example.com");
    let row = &user.fields.social_logins[0];
    assert_eq!(row.fields.provider, "frappe");
    assert_eq!(row.idx, Some(1));
    assert_eq!(row.extra["parentfield"], "social_logins");
    assert_eq!(user.extra["user_type"], "Website User");
    assert_eq!(row.fields.userid.len(), 39);
}

#[tokio::test]
async fn untyped_documents_round_trip_to_the_same_json() {
    let body = resource("v1_doc_with_child_table.json");
    let doc: Doc = serde_json::from_value(body["data"].clone()).unwrap();
    assert_eq!(serde_json::to_value(&doc).unwrap(), body["data"]);
}

#[tokio::test]
async fn insert_posts_the_fields_and_returns_the_saved_document() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/resource/Dispatch%20Job"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "name": "DJ-2026-00042", "owner": "hub@gigafibre.ca", "creation": "2026-11-26 09:00:00.000001",
            "modified": "2026-11-26 09:00:00.000001", "docstatus": 0, "idx": 0, "doctype": "Dispatch Job",
            "customer": "Ferme Tremblay", "service_location": "SL-00001", "status": "Open"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let job = client
        .doctype("Dispatch Job")
        .insert(&json!({"customer": "Ferme Tremblay", "service_location": "SL-00001", "job_type": "Repair"}))
        .await
        .unwrap();
    assert_eq!(job.name.as_str(), "DJ-2026-00042");
    assert_eq!(job.extra["status"], "Open");
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn update_sends_only_the_patch_with_tables_and_the_modified_guard() {
    let (server, client) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/api/resource/Dispatch%20Job/DJ-2026-00001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "DJ-2026-00001", "status": "Scheduled"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let modified: FrappeDateTime = "2026-11-20 08:15:00.123456".parse().unwrap();
    let patch = DocPatch::new()
        .set("status", "Scheduled")
        .set("technician", "TECH-004")
        .replace_table(
            "tags",
            [
                json!({"tag": "fibre-splicing"}),
                json!({"name": "a1b2c3d4e5", "tag": "install"}),
            ],
        )
        .if_unmodified_since(modified);
    client
        .doctype("Dispatch Job")
        .update("DJ-2026-00001", &patch)
        .await
        .unwrap();
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn a_stale_modified_becomes_a_conflict_error() {
    let (server, client) = setup().await;
    let msg = json!({"message": "Error: Document has been modified after you have opened it (2026-11-20 08:15:00.123456, 2026-11-20 09:00:00.000001). Please refresh to get the latest document.", "title": "Message", "indicator": "red", "raise_exception": 1});
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(417).set_body_json(json!({
            "exc_type": "TimestampMismatchError",
            "_server_messages": serde_json::to_string(&[msg.to_string()]).unwrap()
        })))
        .expect(1)
        .mount(&server)
        .await;
    let patch = DocPatch::new()
        .set("status", "Completed")
        .if_unmodified_since("2026-11-20 08:15:00.123456".parse().unwrap());
    let err = client
        .doctype("Dispatch Job")
        .update("DJ-2026-00001", &patch)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.is_validation());
    assert!(
        err.to_string().contains("Document has been modified"),
        "{err}"
    );
}

#[tokio::test]
async fn delete_accepts_202_ok() {
    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/api/resource/Tag/obsolete"))
        .respond_with(ResponseTemplate::new(202).set_body_json(resource("v1_delete.json")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client.doctype("Tag").delete("obsolete").await.unwrap();
}

#[tokio::test]
async fn submit_sends_the_fresh_document_to_frappe_client_submit() {
    let (server, client) = setup().await;
    let fresh = json!({"name": "ACC-SINV-2026-00007", "modified": "2026-11-26 10:00:00.000002", "docstatus": 0, "customer": "Ferme Tremblay", "items": [{"name": "r1", "item_code": "FIBRE-1000", "qty": 1}]});
    Mock::given(method("GET"))
        .and(path("/api/resource/Sales%20Invoice/ACC-SINV-2026-00007"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": fresh})))
        .expect(1)
        .mount(&server)
        .await;
    let mut submitted = fresh.clone();
    submitted["docstatus"] = json!(1);
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.submit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": submitted})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let doc = client
        .doctype("Sales Invoice")
        .submit("ACC-SINV-2026-00007")
        .await
        .unwrap();
    assert_eq!(doc.docstatus, DocStatus::Submitted);
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn cancel_rename_count_get_value_and_set_value_call_frappe_client() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.cancel"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"message": {"name": "PE-1", "docstatus": 2}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.rename_doc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "fibre-install"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/method/frappe.client.get_count"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": 17})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/method/frappe.client.get_value"))
        .and(query_param("filters", "SE-00001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message": {"customer": "Ferme Tremblay", "service_location": "SL-00001"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/method/frappe.client.get_value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": {}})))
        .mount(&server)
        .await;
    let notice = json!({"message": "Dispatch Job <b>DJ-2026-00001</b> completed", "title": "Message", "indicator": "green"});
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.set_value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "message": {"name": "DJ-2026-00001", "status": "Completed"},
            "_server_messages": serde_json::to_string(&[notice.to_string()]).unwrap()
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;

    let pe = client
        .doctype("Payment Entry")
        .cancel("PE-1")
        .await
        .unwrap();
    assert_eq!(pe.docstatus, DocStatus::Cancelled);
    let new = client
        .doctype("Tag")
        .rename("install", "fibre-install", false)
        .await
        .unwrap();
    assert_eq!(new.as_str(), "fibre-install");
    let n = client
        .doctype("Dispatch Job")
        .count(&[
            Filter::eq("status", "Open"),
            Filter::eq("link_name", "C1").on_child("Dynamic Link"),
        ])
        .await
        .unwrap();
    assert_eq!(n, 17);

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Owner {
        customer: String,
        service_location: String,
    }
    let owner: Option<Owner> = client
        .doctype("Service Equipment")
        .get_value("SE-00001", &["customer", "service_location"])
        .await
        .unwrap();
    assert_eq!(owner.unwrap().customer, "Ferme Tremblay");
    let none: Option<Owner> = client
        .doctype("Service Equipment")
        .get_value(
            Filter::eq("mac_address", "00:00:00:00:00:00"),
            &["customer", "service_location"],
        )
        .await
        .unwrap();
    assert_eq!(none, None);

    let reply = client
        .doctype("Dispatch Job")
        .set_value("DJ-2026-00001", &json!({"status": "Completed"}))
        .await
        .unwrap();
    assert_eq!(reply.value.extra["status"], "Completed");
    assert_eq!(
        reply.notices[0].message,
        "Dispatch Job DJ-2026-00001 completed"
    );
    assert_eq!(reply.notices[0].indicator.as_deref(), Some("green"));
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn insert_many_sends_one_batch_and_refuses_more_than_200() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/method/frappe.client.insert_many"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"message": ["fibre-splicing", "install"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let names = client
        .doctype("Tag")
        .insert_many(&[
            json!({"tag_name": "fibre-splicing"}),
            json!({"tag_name": "install"}),
        ])
        .await
        .unwrap();
    assert_eq!(names.len(), 2);
    let too_many = vec![json!({"tag_name": "x"}); 201];
    let err = client
        .doctype("Tag")
        .insert_many(&too_many)
        .await
        .unwrap_err();
    assert!(
        matches!(err, frappe_client::Error::InvalidInput(_)),
        "{err:?}"
    );
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let (server, client) = setup().await;
    catch_all(&server).await;
    let docs = client.doctype("Dispatch Job");
    assert!(matches!(
        docs.get("").await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(matches!(
        client.doctype("Bad/Doctype").get("x").await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(matches!(
        docs.insert(&json!([1, 2])).await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(matches!(
        docs.update("DJ-1", &DocPatch::new()).await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(matches!(
        docs.update(
            "DJ-1",
            &DocPatch::new().set("equipment", json!([{"action": "Installed"}]))
        )
        .await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(matches!(
        docs.count(&[Filter::eq("a;b", 1)]).await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn v2_routes_patch_and_delete_documents_and_unwrap_data() {
    let server = wiremock::MockServer::start().await;
    let client = common::builder(&server)
        .api_version(frappe_client::ApiVersion::V2)
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v2/document/Service%20Location/SL-00001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"name": "SL-00001", "customer": "Ferme Tremblay", "onu_id": 7}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v2/document/Service%20Location/SL-00001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"name": "SL-00001", "status": "Suspended"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/document/Service%20Location/SL-00001"))
        .respond_with(ResponseTemplate::new(202).set_body_json(resource("v1_delete.json")))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let locs = client.doctype("Service Location");
    assert_eq!(locs.get("SL-00001").await.unwrap().extra["onu_id"], 7);
    let doc = locs
        .update("SL-00001", &DocPatch::new().set("status", "Suspended"))
        .await
        .unwrap();
    assert_eq!(doc.extra["status"], "Suspended");
    locs.delete("SL-00001").await.unwrap();
    insta::assert_json_snapshot!(received(&server).await);
}
