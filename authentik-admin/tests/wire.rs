//! The client against a wiremock server replaying answers captured from authentik 2025.8.1:
//! the requests it sends and what it decodes (insta snapshots), and every error shape.

mod common;

use authentik_admin::{
    Error, Group, GroupQuery, NewGroup, NewUser, SecretString, User, UserPatch, UserQuery, UserType,
};
use common::{capture, client, mount, replay, requests};
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn create_user_sends_the_fields_and_decodes_the_user() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/api/v3/core/users/", "user_create").await;
    let mut attrs = serde_json::Map::new();
    attrs.insert("employee_id".into(), json!("E-42"));
    let user = client(&server)
        .users()
        .create(
            &NewUser::new("frank.new", "Frank New")
                .email("frank@example.test")
                .path("users")
                .attributes(attrs)
                .active(true),
        )
        .await
        .expect("create");
    assert_eq!(user.pk, 10);
    insta::assert_json_snapshot!("create_user_request", requests(&server).await);
    insta::assert_json_snapshot!("create_user_decoded", user);
}

#[tokio::test]
async fn find_by_email_returns_every_match() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/core/users/"))
        .and(query_param("email", "shared@example.test"))
        .respond_with(replay("users_email_shared"))
        .mount(&server)
        .await;
    let users = client(&server)
        .users()
        .find_by_email("shared@example.test")
        .await
        .expect("find");
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["carol.tech", "dave.tech"]);
    insta::assert_json_snapshot!("find_by_email_request", requests(&server).await);
    insta::assert_json_snapshot!("find_by_email_decoded", users);
}

#[tokio::test]
async fn find_by_email_is_case_sensitive_like_the_server() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/api/v3/core/users/",
        "users_email_uppercase",
    )
    .await;
    let users = client(&server)
        .users()
        .find_by_email("SHARED@example.test")
        .await
        .expect("find");
    assert!(users.is_empty());
}

#[tokio::test]
async fn find_by_username() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/api/v3/core/users/",
        "users_username_filter",
    )
    .await;
    let (_, body) = common::capture("users_username_filter");
    let wanted: serde_json::Value = serde_json::from_str(&body).expect("json");
    let name = wanted["results"][0]["username"].as_str().expect("username");
    let user = client(&server)
        .users()
        .find_by_username(name)
        .await
        .expect("find");
    assert_eq!(user.map(|u| u.username), Some(name.to_owned()));
}

#[tokio::test]
async fn list_walks_every_page_and_stops_at_the_last() {
    let server = MockServer::start().await;
    // `users_page_last_size2` is page 3 of 4 despite its name (its `next` is 4).
    for (page, name) in [
        ("1", "users_page1_size2"),
        ("2", "users_page2_size2"),
        ("3", "users_page_last_size2"),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v3/core/users/"))
            .and(query_param("page", page))
            .respond_with(replay(name))
            .mount(&server)
            .await;
    }
    // Page 4 was not captured: the last user of the captured full list, `next` 0.
    let (_, all) = common::capture("users_default_list");
    let all: serde_json::Value = serde_json::from_str(&all).expect("json");
    let p4 = json!({
        "pagination": {"next": 0, "previous": 3, "count": 7, "current": 4, "total_pages": 4,
                       "start_index": 7, "end_index": 7},
        "results": [all["results"][6].clone()],
        "autocomplete": {},
    });
    Mock::given(method("GET"))
        .and(path("/api/v3/core/users/"))
        .and(query_param("page", "4"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(p4))
        .mount(&server)
        .await;
    let users: Vec<_> = client(&server)
        .users()
        .list(&UserQuery::new().page_size(2))
        .try_collect()
        .await
        .expect("list");
    assert_eq!(users.len(), 7);
    let mut names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 7);
    let pages: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r["request"].as_str().unwrap_or_default().to_owned())
        .collect();
    insta::assert_json_snapshot!("list_pages_requested", pages);
}

#[tokio::test]
async fn a_404_past_the_end_ends_the_list() {
    let server = MockServer::start().await;
    let (_, p1) = common::capture("users_page1_size2");
    Mock::given(method("GET"))
        .and(path("/api/v3/core/users/"))
        .and(query_param("page", "1"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(p1, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/core/users/"))
        .and(query_param("page", "2"))
        .respond_with(replay("users_page_out_of_range"))
        .mount(&server)
        .await;
    let users: Vec<_> = client(&server)
        .users()
        .list(&UserQuery::new().page_size(2))
        .try_collect()
        .await
        .expect("a 404 on page 2 is the end");
    assert_eq!(users.len(), 2);
}

#[tokio::test]
async fn get_update_deactivate_delete() {
    let server = MockServer::start().await;
    mount(&server, "GET", "/api/v3/core/users/10/", "user_retrieve").await;
    mount(&server, "PATCH", "/api/v3/core/users/10/", "user_patch").await;
    mount(&server, "DELETE", "/api/v3/core/users/10/", "user_delete").await;
    let c = client(&server);
    c.users().get(10).await.expect("get");
    let patched = c
        .users()
        .update(10, &UserPatch::new().name("Frank Patched"))
        .await
        .expect("patch");
    assert_eq!(patched.name, "Frank Patched");
    c.users().deactivate(10).await.expect("deactivate");
    c.users().delete(10).await.expect("delete");
    insta::assert_json_snapshot!("user_lifecycle_requests", requests(&server).await);
}

#[tokio::test]
async fn set_password_sends_it_and_refuses_an_empty_one() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/api/v3/core/users/10/set_password/",
        "user_set_password",
    )
    .await;
    let c = client(&server);
    c.users()
        .set_password(10, &SecretString::from("xK7m-pQ9r-Ab3d-Tz4h"))
        .await
        .expect("set");
    let empty = c.users().set_password(10, &SecretString::from("")).await;
    assert!(matches!(empty, Err(Error::InvalidInput(_))), "{empty:?}");
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1, "the empty password was never sent");
    assert_eq!(reqs[0]["body"], json!({"password": "xK7m-pQ9r-Ab3d-Tz4h"}));
}

#[tokio::test]
async fn set_password_empty_400_is_password_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v3/core/users/10/set_password/"))
        .respond_with(wiremock::ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let e = client(&server)
        .users()
        .set_password(10, &SecretString::from("weak"))
        .await;
    assert!(matches!(e, Err(Error::PasswordRejected)), "{e:?}");
}

#[tokio::test]
async fn validation_errors_are_decoded() {
    for (name, field, message) in [
        (
            "user_create_duplicate_username",
            "username",
            "This field must be unique.",
        ),
        (
            "user_create_bad_email",
            "email",
            "Enter a valid email address.",
        ),
        (
            "user_create_missing_name",
            "name",
            "This field is required.",
        ),
        (
            "user_create_empty_body",
            "username",
            "This field is required.",
        ),
    ] {
        let server = MockServer::start().await;
        mount(&server, "POST", "/api/v3/core/users/", name).await;
        let e = client(&server)
            .users()
            .create(&NewUser::new("x", "X"))
            .await
            .expect_err(name);
        assert_eq!(
            e.field_errors(field),
            Some(&[message.to_owned()][..]),
            "{name}: {e:?}"
        );
    }
}

#[tokio::test]
async fn no_recovery_flow_is_named() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/api/v3/core/users/10/recovery/",
        "user_recovery_link",
    )
    .await;
    let e = client(&server).users().recovery_link(10).await;
    assert!(matches!(e, Err(Error::NoRecoveryFlow)), "{e:?}");
}

#[tokio::test]
async fn auth_failures_are_forbidden() {
    for (name, detail) in [
        (
            "unauthenticated",
            "Authentication credentials were not provided.",
        ),
        ("wrong_token", "Token invalid/expired"),
        ("wrong_scheme", "Unsupported authentication type"),
    ] {
        let server = MockServer::start().await;
        mount(&server, "GET", "/api/v3/core/users/10/", name).await;
        let e = client(&server).users().get(10).await.expect_err(name);
        assert!(
            matches!(&e, Error::Forbidden { detail: d, .. } if d == detail),
            "{name}: {e:?}"
        );
        assert!(!e.to_string().contains("test-token"));
    }
}

#[tokio::test]
async fn not_found_shapes() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/api/v3/core/users/99/",
        "user_retrieve_404",
    )
    .await;
    mount(
        &server,
        "DELETE",
        "/api/v3/core/users/10/",
        "user_delete_again",
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/v3/core/groups/0e72ee68-9fb0-40c5-a7ce-ed8d531d5a14/add_user/",
        "group_add_user_404",
    )
    .await;
    let c = client(&server);
    let e = c.users().get(99).await.expect_err("404");
    assert!(
        matches!(&e, Error::NotFound { detail, .. } if detail == "No User matches the given query."),
        "{e:?}"
    );
    assert!(c.users().delete(10).await.expect_err("gone").is_not_found());
    assert!(
        c.groups()
            .add_user("0e72ee68-9fb0-40c5-a7ce-ed8d531d5a14", 999)
            .await
            .expect_err("unknown user")
            .is_not_found()
    );
}

#[tokio::test]
async fn groups_find_create_and_membership() {
    let server = MockServer::start().await;
    mount(&server, "GET", "/api/v3/core/groups/", "groups_list_name").await;
    mount(&server, "POST", "/api/v3/core/groups/", "group_create").await;
    let g = "0e72ee68-9fb0-40c5-a7ce-ed8d531d5a14";
    mount(
        &server,
        "POST",
        &format!("/api/v3/core/groups/{g}/add_user/"),
        "group_add_user",
    )
    .await;
    mount(
        &server,
        "POST",
        &format!("/api/v3/core/groups/{g}/remove_user/"),
        "group_remove_user",
    )
    .await;
    let c = client(&server);
    let ops = c.groups().find_by_name("ops").await.expect("find");
    let ops = ops.expect("ops exists");
    assert_eq!(ops.pk, g);
    let mut attrs = serde_json::Map::new();
    attrs.insert("k".into(), json!("v"));
    let created = c
        .groups()
        .create(&NewGroup::new("contractors").attributes(attrs))
        .await
        .expect("create");
    assert_eq!(created.num_pk, 17953);
    c.groups().add_user(g, 8).await.expect("add");
    c.groups().remove_user(g, 8).await.expect("remove");
    insta::assert_json_snapshot!("group_requests", requests(&server).await);
    insta::assert_json_snapshot!("group_decoded", (ops, created));
}

#[tokio::test]
async fn group_duplicate_is_a_validation_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/api/v3/core/groups/",
        "group_create_duplicate",
    )
    .await;
    let e = client(&server)
        .groups()
        .create(&NewGroup::new("ops"))
        .await
        .expect_err("dup");
    assert_eq!(
        e.field_errors("name"),
        Some(&["This field must be unique.".to_owned()][..])
    );
}

#[tokio::test]
async fn every_captured_list_decodes() {
    let server = MockServer::start().await;
    for name in [
        "users_default_list",
        "users_page_size_huge",
        "users_groups_by_name",
        "groups_list",
        "groups_list_include_users_false",
    ] {
        server.reset().await;
        let p = if name.starts_with("groups") {
            "/api/v3/core/groups/"
        } else {
            "/api/v3/core/users/"
        };
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("page", "1"))
            .respond_with(replay(name))
            .mount(&server)
            .await;
        let c = client(&server);
        if name.starts_with("groups") {
            let first = c
                .groups()
                .list(&GroupQuery::new())
                .try_next()
                .await
                .expect(name);
            assert!(first.is_some(), "{name}");
        } else {
            let first = c
                .users()
                .list(&UserQuery::new())
                .try_next()
                .await
                .expect(name);
            assert!(first.is_some(), "{name}");
        }
    }
}

#[tokio::test]
async fn a_newer_authentiks_user_keeps_its_unknown_field_and_type() {
    let (_, body) = capture("user_retrieve");
    let mut sent: serde_json::Value = serde_json::from_str(&body).expect("capture");
    sent["type"] = json!("robot_account");
    sent["mfa_enrolled"] = json!({"totp": true, "since": "2027-01-01"});
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/core/users/10/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&sent))
        .mount(&server)
        .await;
    let user = client(&server).users().get(10).await.expect("decodes");
    assert_eq!(user.user_type, UserType::Other("robot_account".to_owned()));
    assert_eq!(user.user_type.as_str(), "robot_account");
    assert_eq!(
        user.extra["mfa_enrolled"],
        json!({"totp": true, "since": "2027-01-01"})
    );
    // The captured fields this crate does not type are kept too.
    assert_eq!(user.extra["avatar"], sent["avatar"]);
    assert_eq!(user.extra.len(), 2, "{:?}", user.extra.keys());
    // Serialised back: the very object authentik sent, no key lost, none added or repeated.
    let text = serde_json::to_string(&user).expect("serialise");
    assert_eq!(text.matches("\"type\"").count(), 1, "{text}");
    let back: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(back, sent);
    let again: User = serde_json::from_value(back).expect("decode again");
    assert_eq!(again, user);
}

#[test]
fn every_captured_user_and_group_round_trips() {
    for name in ["users_default_list", "users_page_size_huge", "groups_list"] {
        let (_, body) = capture(name);
        let list: serde_json::Value = serde_json::from_str(&body).expect(name);
        for sent in list["results"].as_array().expect(name) {
            let back = if name.starts_with("groups") {
                let g: Group = serde_json::from_value(sent.clone()).expect(name);
                serde_json::to_value(&g).expect(name)
            } else {
                let u: User = serde_json::from_value(sent.clone()).expect(name);
                serde_json::to_value(&u).expect(name)
            };
            assert_eq!(&back, sent, "{name}");
        }
    }
    let (_, body) = capture("group_retrieve");
    let sent: serde_json::Value = serde_json::from_str(&body).expect("group");
    let g: Group = serde_json::from_value(sent.clone()).expect("group");
    assert_eq!(serde_json::to_value(&g).expect("group"), sent);
}
