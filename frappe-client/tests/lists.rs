//! List queries and paging against wiremock.

use frappe_client::{ApiVersion, Doc, Filter};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;
use common::{builder, catch_all, received, resource, setup};

#[derive(Debug, serde::Deserialize)]
struct Person {
    first_name: String,
}

#[tokio::test]
async fn a_page_requests_fields_derived_from_the_model_and_an_explicit_page_size() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/resource/Person"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(resource("v1_list_with_fields.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let page = client
        .doctype("Person")
        .typed::<Person>()
        .list()
        .filter(Filter::like("first_name", "J%"))
        .or_filter(Filter::eq("last_name", "Doe"))
        .or_filter(Filter::is_set("email"))
        .page_size(2)
        .page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].fields.first_name, "Jane");
    assert_eq!(page.items[1].name.as_str(), "000000008");
    assert!(page.has_next, "a full page may have a successor");
    insta::assert_json_snapshot!(received(&server).await);
}

#[tokio::test]
async fn v2_lists_use_the_document_route_and_has_next_page() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .api_version(ApiVersion::V2)
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v2/document/Task"))
        .respond_with(ResponseTemplate::new(200).set_body_json(resource("v2_list.json")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let page = client
        .doctype("Task")
        .list()
        .filter(Filter::eq("status", "Open"))
        .fields(["name", "subject"])
        .page_size(10)
        .page()
        .await
        .unwrap();
    assert!(page.has_next);
    assert_eq!(page.items[1].extra["subject"], "Review pull request");
    insta::assert_json_snapshot!(received(&server).await);
}

/// Serves `rows` like Frappe: filters on `creation` (`= > >=`) and `name` (`>`), order by
/// `creation, name` (the rows' own order) or `name`, limit_start/limit_page_length.
struct Pager {
    rows: Vec<Value>,
}

impl Respond for Pager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
        let start: usize = q["limit_start"].parse().unwrap();
        let size: usize = q["limit_page_length"].parse().unwrap();
        let mut rows: Vec<&Value> = self.rows.iter().collect();
        if let Some(f) = q.get("filters") {
            let f: Value = serde_json::from_str(f).unwrap();
            for cond in f.as_array().unwrap() {
                let (field, op) = (cond[0].as_str().unwrap(), cond[1].as_str().unwrap());
                let v = cond[2].as_str().unwrap().to_owned();
                rows.retain(|r| {
                    let x = r[field].as_str().unwrap();
                    match op {
                        "=" => x == v,
                        ">" => x > v.as_str(),
                        ">=" => x >= v.as_str(),
                        other => panic!("unexpected operator {other}"),
                    }
                });
            }
        }
        if q["order_by"] == "name asc" {
            rows.sort_by_key(|r| r["name"].as_str().unwrap().to_owned());
        }
        let page: Vec<&Value> = rows.into_iter().skip(start).take(size).collect();
        ResponseTemplate::new(200).set_body_json(json!({ "data": page }))
    }
}

fn rows(n: usize, same_creation_from: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let c = if i >= same_creation_from { same_creation_from } else { i };
            json!({"name": format!("DJ-{i:05}"), "creation": format!("2026-01-01 00:00:{:02}.{:06}", c / 1000, c % 1000 + 1), "status": "Open"})
        })
        .collect()
}

#[tokio::test]
async fn a_keyset_stream_crosses_several_pages_and_stops_after_the_short_last_page() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/resource/Dispatch%20Job"))
        .respond_with(Pager {
            rows: rows(23, usize::MAX),
        })
        .mount(&server)
        .await;
    catch_all(&server).await;
    let docs: Vec<Doc> = client
        .doctype("Dispatch Job")
        .list()
        .page_size(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    let expected: Vec<String> = (0..23).map(|i| format!("DJ-{i:05}")).collect();
    assert_eq!(names, expected);
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 3, "10 + 10 + 3 rows");
    insta::assert_json_snapshot!(reqs.iter().map(|r| &r.query).collect::<Vec<_>>());
}

#[tokio::test]
async fn keyset_paging_neither_skips_nor_repeats_rows_sharing_a_creation_time() {
    let (server, client) = setup().await;
    // Rows 5..30 share one creation timestamp: more than a page of ties.
    Mock::given(method("GET"))
        .respond_with(Pager { rows: rows(30, 5) })
        .mount(&server)
        .await;
    let docs: Vec<Doc> = client
        .doctype("Dispatch Job")
        .list()
        .page_size(7)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<String> = docs.iter().map(|d| d.name.to_string()).collect();
    let expected: Vec<String> = (0..30).map(|i| format!("DJ-{i:05}")).collect();
    assert_eq!(names, expected);
    // Requests stay bounded: once the tie outgrows a page, it is paged by name.
    let reqs = received(&server).await;
    let biggest = reqs
        .iter()
        .map(|r| {
            r.query
                .iter()
                .find(|q| q.0 == "limit_page_length")
                .unwrap()
                .1
                .as_str()
                .unwrap()
                .parse::<u32>()
                .unwrap()
        })
        .max()
        .unwrap();
    assert!(biggest <= 14, "page size grew to {biggest}");
    assert!(reqs.iter().any(|r| {
        r.query
            .iter()
            .any(|q| q.0 == "order_by" && q.1 == "name asc")
    }));
}

#[tokio::test]
async fn rows_after_a_long_tie_are_not_lost() {
    let (server, client) = setup().await;
    // 3 distinct, 20 sharing one creation, then 10 later rows.
    let mut all = rows(23, 3);
    for i in 23..33 {
        all.push(json!({"name": format!("DJ-{i:05}"), "creation": format!("2026-01-01 00:00:09.{i:06}"), "status": "Open"}));
    }
    Mock::given(method("GET"))
        .respond_with(Pager { rows: all })
        .mount(&server)
        .await;
    let docs: Vec<Doc> = client
        .doctype("Dispatch Job")
        .list()
        .page_size(4)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<String> = docs.iter().map(|d| d.name.to_string()).collect();
    let expected: Vec<String> = (0..33).map(|i| format!("DJ-{i:05}")).collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn an_ordered_stream_pages_by_offset_and_honours_the_limit() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(query_param("order_by", "status asc, name asc"))
        .respond_with(Pager {
            rows: rows(50, usize::MAX),
        })
        .mount(&server)
        .await;
    catch_all(&server).await;
    let docs: Vec<Doc> = client
        .doctype("Dispatch Job")
        .list()
        .order_by("status asc")
        .page_size(20)
        .limit(45)
        .all()
        .await
        .unwrap();
    assert_eq!(docs.len(), 45);
    assert_eq!(docs[44].name.as_str(), "DJ-00044");
    let starts: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| {
            format!(
                "{}+{}",
                r.query.iter().find(|q| q.0 == "limit_start").unwrap().1,
                r.query
                    .iter()
                    .find(|q| q.0 == "limit_page_length")
                    .unwrap()
                    .1
            )
        })
        .collect();
    assert_eq!(starts, ["\"0\"+\"20\"", "\"20\"+\"20\"", "\"40\"+\"5\""]);
}

#[tokio::test]
async fn a_stream_ends_after_yielding_an_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"exc_type": "PermissionError"})),
        )
        .mount(&server)
        .await;
    let mut s = client.doctype("Dispatch Job").list().stream();
    let first = s.try_next().await;
    assert!(first.unwrap_err().is_permission());
    assert!(futures::StreamExt::next(&mut s).await.is_none());
}

#[tokio::test]
async fn invalid_list_input_is_refused_before_sending() {
    let (server, client) = setup().await;
    let docs = client.doctype("Dispatch Job");
    assert!(docs.list().page_size(0).page().await.is_err());
    assert!(
        docs.list()
            .order_by("name; drop table")
            .page()
            .await
            .is_err()
    );
    assert!(
        docs.list()
            .filter(Filter::new("x", frappe_client::Operator::In, 3))
            .page()
            .await
            .is_err()
    );
    let mut s = docs.list().fields(Vec::<String>::new()).stream();
    assert!(matches!(
        s.try_next().await,
        Err(frappe_client::Error::InvalidInput(_))
    ));
    assert!(received(&server).await.is_empty());
}
