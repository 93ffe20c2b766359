//! The client end to end against the in-process fake Frappe (the testkit), which speaks the
//! real filter grammar, paging, envelopes, error bodies and auth.

use std::time::Duration;

use frappe_client::erpnext::{Customer, DispatchJob, DispatchJobStatus, ServiceEquipment};
use frappe_client::testkit::{FakeFrappe, Fault, ServerVersion};
use frappe_client::{ApiVersion, Client, DocPatch, DocStatus, Error, Filter, Upload};
use serde_json::json;

mod common;

async fn start() -> (FakeFrappe, Client) {
    let fake = FakeFrappe::start().await.unwrap();
    let client = token_client(&fake).build().unwrap();
    (fake, client)
}

fn token_client(fake: &FakeFrappe) -> frappe_client::ClientBuilder {
    Client::builder(fake.url().as_str())
        .token(fake.api_key(), fake.api_secret())
        .retry(common::fast_retry())
}

#[tokio::test]
async fn typed_lists_of_seeded_jobs_filter_and_stream_with_derived_fields() {
    let (fake, client) = start().await;
    let all: Vec<_> = client
        .docs::<DispatchJob>()
        .list()
        .page_size(2)
        .all()
        .await
        .unwrap();
    assert_eq!(all.len(), fake.all("Dispatch Job").len());
    assert!(all.len() >= 3, "the seed has several jobs");
    let open = client
        .docs::<DispatchJob>()
        .list()
        .filter(Filter::eq("status", "Open"))
        .all()
        .await
        .unwrap();
    assert!(
        open.iter()
            .all(|j| j.fields.status == Some(DispatchJobStatus::Open))
    );
    let expected_open = fake
        .all("Dispatch Job")
        .iter()
        .filter(|j| j["status"] == "Open")
        .count();
    assert_eq!(open.len(), expected_open);
    // Child tables are not columns: the derived field list leaves them out, so the server
    // accepted it, and list rows come back without them.
    let req = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/Dispatch%20Job") || r.path.ends_with("/Dispatch Job"))
        .unwrap();
    let query = req.query.unwrap_or_default();
    assert!(
        !query.contains("equipment") && query.contains("service_location"),
        "{query}"
    );
}

#[tokio::test]
async fn a_customers_contacts_are_found_through_the_dynamic_link_child_filter() {
    let (fake, client) = start().await;
    let contact = fake
        .all("Contact")
        .into_iter()
        .find(|c| c["links"].as_array().is_some_and(|l| !l.is_empty()))
        .unwrap();
    let customer = contact["links"][0]["link_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = client
        .doctype("Contact")
        .list()
        .filter(Filter::eq("link_doctype", "Customer").on_child("Dynamic Link"))
        .filter(Filter::eq("link_name", &customer).on_child("Dynamic Link"))
        .fields(["name"])
        .all()
        .await
        .unwrap();
    assert!(
        found
            .iter()
            .any(|c| c.name.as_str() == contact["name"].as_str().unwrap())
    );
}

#[tokio::test]
async fn equipment_is_looked_up_by_mac_with_get_value() {
    let (fake, client) = start().await;
    let se = fake
        .all("Service Equipment")
        .into_iter()
        .find(|e| e["mac_address"].is_string())
        .unwrap();
    #[derive(serde::Deserialize)]
    struct Owner {
        customer: String,
    }
    let owner: Owner = client
        .doctype("Service Equipment")
        .get_value(
            Filter::eq("mac_address", se["mac_address"].as_str().unwrap()),
            &["customer"],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.customer, se["customer"].as_str().unwrap());
    let typed = client
        .docs::<ServiceEquipment>()
        .get(se["name"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        typed.fields.mac_address.as_deref(),
        se["mac_address"].as_str()
    );
}

#[tokio::test]
async fn insert_update_conflict_and_delete_follow_frappe_semantics() {
    let (fake, client) = start().await;
    let loc = fake.all("Service Location").remove(0);
    let jobs = client.docs::<DispatchJob>();
    let job = jobs
        .insert(&json!({
            "customer": loc["customer"], "service_location": loc["name"], "job_type": "Repair",
            "status": "Open", "equipment": [{"action": "Installed", "notes": "new ONT"}]
        }))
        .await
        .unwrap();
    assert!(job.name.as_str().starts_with("DJ-"), "{}", job.name);
    assert_eq!(job.fields.equipment.len(), 1);
    let modified = job.modified.unwrap();

    let updated = jobs
        .update(
            &job.name,
            &DocPatch::new()
                .set("status", "Scheduled")
                .replace_table("equipment", Vec::<serde_json::Value>::new())
                .if_unmodified_since(modified),
        )
        .await
        .unwrap();
    assert_eq!(updated.fields.status, Some(DispatchJobStatus::Scheduled));
    assert!(
        updated.fields.equipment.is_empty(),
        "the table was replaced whole"
    );

    // The same guard again is stale now.
    let err = jobs
        .update(
            &job.name,
            &DocPatch::new()
                .set("status", "En Route")
                .if_unmodified_since(modified),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");

    jobs.delete(&job.name).await.unwrap();
    assert!(jobs.get(&job.name).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_missing_mandatory_field_is_a_validation_error_with_its_message() {
    let (_fake, client) = start().await;
    let err = client
        .doctype("Dispatch Job")
        .insert(&json!({"job_type": "Repair"}))
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err:?}");
    assert!(err.api().unwrap().message().is_some());
}

#[tokio::test]
async fn insert_many_is_all_or_nothing() {
    let (fake, client) = start().await;
    let before = fake.all("Tag").len();
    let err = client
        .doctype("Tag")
        .insert_many(&[
            json!({"tag_name": "bench-a", "category": "Other"}),
            json!({"tag_name": "bench-a", "category": "Other"}),
        ])
        .await
        .unwrap_err();
    assert!(err.is_duplicate() || err.is_validation(), "{err:?}");
    assert_eq!(fake.all("Tag").len(), before);
    let names = client
        .doctype("Tag")
        .insert_many(&[
            json!({"tag_name": "bench-b", "category": "Other"}),
            json!({"tag_name": "bench-c", "category": "Other"}),
        ])
        .await
        .unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(fake.all("Tag").len(), before + 2);
}

#[tokio::test]
async fn submitted_invoices_cancel_and_counts_match_the_store() {
    let (fake, client) = start().await;
    let n = client.doctype("Customer").count(&[]).await.unwrap();
    assert_eq!(n as usize, fake.all("Customer").len());
    let inv = fake
        .all("Sales Invoice")
        .into_iter()
        .find(|i| i["docstatus"] == 1)
        .unwrap();
    let cancelled = client
        .doctype("Sales Invoice")
        .cancel(inv["name"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(cancelled.docstatus, DocStatus::Cancelled);
    let again = client
        .doctype("Sales Invoice")
        .cancel(inv["name"].as_str().unwrap())
        .await
        .unwrap_err();
    assert!(again.is_validation(), "{again:?}");
}

#[tokio::test]
async fn set_value_returns_the_servers_notices() {
    let (fake, client) = start().await;
    let job = fake
        .all("Dispatch Job")
        .into_iter()
        .find(|j| j["status"] != "Completed")
        .unwrap();
    let reply = client
        .docs::<DispatchJob>()
        .set_value(
            job["name"].as_str().unwrap(),
            &json!({"status": "Completed"}),
        )
        .await
        .unwrap();
    assert_eq!(
        reply.value.fields.status,
        Some(DispatchJobStatus::Completed)
    );
    assert!(!reply.notices.is_empty(), "completing a job emits a notice");
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_guests_are_refused() {
    let fake = FakeFrappe::start().await.unwrap();
    let wrong = Client::builder(fake.url().as_str())
        .token(fake.api_key(), "not-the-secret")
        .build()
        .unwrap();
    let err = wrong.docs::<Customer>().list().page().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(wrong.check_auth().await.unwrap_err().is_unauthorized());
    let right = token_client(&fake).build().unwrap();
    assert_eq!(right.check_auth().await.unwrap(), fake.username());
    assert!(err.to_string().contains("Generate Keys"));
    let guest = Client::builder(fake.url().as_str()).build().unwrap();
    assert!(guest.logged_user().await.unwrap_err().is_permission());
    assert!(
        guest
            .docs::<Customer>()
            .list()
            .page()
            .await
            .unwrap_err()
            .is_permission()
    );
}

#[tokio::test]
async fn a_session_survives_server_side_expiry_by_logging_in_again() {
    let fake = FakeFrappe::start().await.unwrap();
    let client = Client::builder(fake.url().as_str())
        .password(fake.username(), fake.password())
        .build()
        .unwrap();
    assert_eq!(client.logged_user().await.unwrap(), fake.username());
    fake.expire_sessions();
    let job = fake.all("Dispatch Job").remove(0);
    let updated = client
        .doctype("Dispatch Job")
        .update(
            job["name"].as_str().unwrap(),
            &DocPatch::new().set("description", "call before arriving"),
        )
        .await
        .unwrap();
    assert_eq!(updated.extra["description"], "call before arriving");
    let logins = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/api/method/login")
        .count();
    assert_eq!(logins, 2);
    // Session requests never carry a token, token requests never a cookie.
    assert!(
        fake.requests()
            .iter()
            .all(|r| !(r.has_authorization && r.has_cookie))
    );
}

#[tokio::test]
async fn rate_limited_requests_wait_for_retry_after_and_succeed() {
    let (fake, client) = start().await;
    fake.inject(Fault::status(429).retry_after(1));
    let started = std::time::Instant::now();
    client.docs::<Customer>().list().page().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn uploads_attach_to_a_document_and_download_back() {
    let (fake, client) = start().await;
    let job = fake.all("Dispatch Job").remove(0);
    let file = client
        .files()
        .upload(
            Upload::new("label.txt", &b"XX230v TPLG1A2B3C4D"[..])
                .attach_to("Dispatch Job", job["name"].as_str().unwrap()),
        )
        .await
        .unwrap();
    assert!(file.is_private);
    let bytes = client
        .files()
        .download(file.file_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"XX230v TPLG1A2B3C4D");
    let guest = Client::builder(fake.url().as_str()).build().unwrap();
    assert!(
        guest
            .files()
            .download(file.file_url.as_deref().unwrap())
            .await
            .unwrap_err()
            .is_permission()
    );
}

#[tokio::test]
async fn v2_routes_page_with_has_next_page_on_frappe_16() {
    let fake = FakeFrappe::builder()
        .version(ServerVersion::V16)
        .start()
        .await
        .unwrap();
    let client = token_client(&fake)
        .api_version(ApiVersion::V2)
        .build()
        .unwrap();
    assert_eq!(client.server_version().await.unwrap().major, 16);
    let all = client
        .docs::<Customer>()
        .list()
        .page_size(3)
        .all()
        .await
        .unwrap();
    assert_eq!(all.len(), fake.all("Customer").len());
    let first = client
        .docs::<Customer>()
        .list()
        .page_size(1)
        .page()
        .await
        .unwrap();
    assert!(first.has_next);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path.starts_with("/api/v2/document/"))
    );
}

#[tokio::test]
async fn a_bad_filter_from_the_caller_is_a_typed_upstream_error_not_a_crash() {
    let (_fake, client) = start().await;
    let err = client
        .doctype("Customer")
        .list()
        .filter(Filter::new(
            "customer_name",
            frappe_client::Operator::Other("regexp".into()),
            "x",
        ))
        .page()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err:?}");
    assert!(matches!(err, Error::Api(_)));
}

// ---------------------------------------------------------------------------------------------
// What a real Frappe 15 answers, reproduced by the testkit and handled by the client.

#[tokio::test]
async fn server_version_comes_from_the_installed_apps_on_frappe_15_and_16() {
    for (version, expected) in [(ServerVersion::V15, 15), (ServerVersion::V16, 16)] {
        let fake = FakeFrappe::builder()
            .version(version)
            .start()
            .await
            .unwrap();
        let client = token_client(&fake).build().unwrap();
        let v = client.server_version().await.unwrap();
        assert_eq!(v.major, expected);
        assert_eq!(v.raw, version.frappe_version());
        // The removed route was never asked.
        assert!(
            fake.requests()
                .iter()
                .all(|r| r.path != "/api/method/version")
        );
        // And the removed route really is gone.
        let err = client.method("version").get::<String>().await.unwrap_err();
        assert!(err.is_validation(), "{err}");
    }
}

#[tokio::test]
async fn a_single_doctype_reads_and_writes_despite_its_string_idx() {
    for api in [ApiVersion::V1, ApiVersion::V2] {
        let fake = FakeFrappe::start().await.unwrap();
        let client = token_client(&fake).api_version(api).build().unwrap();
        let settings = client.doctype("System Settings");
        let doc = settings.get("System Settings").await.unwrap();
        assert_eq!(doc.idx, Some(0));
        assert_eq!(doc.creation, None, "a Single has no creation");
        let updated = settings
            .update(
                "System Settings",
                &DocPatch::new().set("enable_scheduler", 1),
            )
            .await
            .unwrap();
        assert_eq!(updated.extra["enable_scheduler"], 1);
        let set = settings
            .set_value("System Settings", &json!({"enable_scheduler": 0}))
            .await
            .unwrap();
        assert_eq!(set.value.idx, Some(0));
        assert_eq!(set.value.extra["enable_scheduler"], 0);
    }
}

#[tokio::test]
async fn typed_issue_lists_use_the_erpnext_15_field_names() {
    use frappe_client::DocType;
    use frappe_client::erpnext::Issue;
    let (fake, client) = start().await;
    let issues = client.docs::<Issue>().list().all().await.unwrap();
    assert_eq!(issues.len(), fake.all("Issue").len());
    // A model still naming the pre-15 fields is refused as the real server refuses it.
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct OldIssue {
        subject: Option<String>,
        resolution_date: Option<String>,
    }
    impl DocType for OldIssue {
        const DOCTYPE: &'static str = "Issue";
    }
    let err = client.docs::<OldIssue>().list().page().await.unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(
        err.to_string()
            .contains("Field not permitted in query: resolution_date"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_doctype_is_not_found_in_lists_and_a_500_import_error_on_documents() {
    for api in [ApiVersion::V1, ApiVersion::V2] {
        let fake = FakeFrappe::start().await.unwrap();
        let client = token_client(&fake)
            .api_version(api)
            .retry(frappe_client::RetryConfig::disabled())
            .build()
            .unwrap();
        let list = client
            .doctype("NoSuchDoctype")
            .list()
            .page()
            .await
            .unwrap_err();
        assert!(list.is_not_found(), "{list}");
        let doc = client.doctype("NoSuchDoctype").get("X").await.unwrap_err();
        assert_eq!(doc.status().map(|s| s.as_u16()), Some(500));
        let text = doc.to_string();
        assert!(text.contains("No module named"), "{api:?}: {text}");
        assert!(!text.trim_end().ends_with(':'), "{text}");
    }
}

#[tokio::test]
async fn set_value_on_a_child_row_answers_the_parent() {
    let (fake, client) = start().await;
    let contact = fake.all("Contact").remove(0);
    let row = contact["phone_nos"][0]["name"].as_str().unwrap().to_owned();
    let phones = client.doctype("Contact Phone");
    let err = phones
        .set_value(&row, &json!({"is_primary_phone": 1}))
        .await
        .unwrap_err();
    assert!(err.is_write_applied(), "{err}");
    // The write was applied, as the error says.
    let stored = fake
        .get("Contact", contact["name"].as_str().unwrap())
        .unwrap();
    assert_eq!(stored["phone_nos"][0]["is_primary_phone"], 1);
    let parent = phones
        .set_child_value::<frappe_client::erpnext::Contact>(&row, &json!({"is_primary_phone": 0}))
        .await
        .unwrap()
        .value;
    assert_eq!(parent.name.as_str(), contact["name"].as_str().unwrap());
    assert!(!parent.fields.phone_nos[0].is_primary_phone);
}

#[tokio::test]
async fn an_expired_session_said_so_and_is_renewed_without_a_probe() {
    let fake = FakeFrappe::start().await.unwrap();
    let client = Client::builder(fake.url().as_str())
        .password(fake.username(), fake.password())
        .retry(common::fast_retry())
        .build()
        .unwrap();
    client.doctype("ToDo").list().page().await.unwrap();
    fake.expire_sessions();
    fake.clear_requests();
    client.doctype("ToDo").list().page().await.unwrap();
    let seq: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seq,
        [
            "GET /api/resource/ToDo",
            "POST /api/method/login",
            "GET /api/resource/ToDo"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_landing_after_a_re_login_does_not_wipe_the_new_session() {
    let fake = FakeFrappe::start().await.unwrap();
    let client = Client::builder(fake.url().as_str())
        .password(fake.username(), fake.password())
        .retry(common::fast_retry())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    client.doctype("ToDo").list().page().await.unwrap();
    // The session expires while a slow request (an upload over a poor link) is on its way: it is
    // answered, 403 with Guest cookies that expire `sid`, long after another request has
    // noticed the expiry and logged in again.
    fake.expire_sessions();
    fake.inject(Fault::delay(Duration::from_millis(800)).only_path("/api/resource/File"));
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.doctype("File").list().page().await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    client.doctype("ToDo").list().page().await.unwrap();
    slow.await.unwrap().unwrap();
    // The session the re-login opened is still the one in use.
    client.doctype("Note").list().page().await.unwrap();
    let logins = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/api/method/login")
        .count();
    assert_eq!(logins, 2, "the first login and one renewal");
}
