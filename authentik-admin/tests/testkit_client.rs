//! The client against the test kit's fake authentik.

use authentik_admin::testkit::FakeAuthentik;
use authentik_admin::{
    Client, Error, ExposeSecret, GroupQuery, NewGroup, NewUser, SecretString, UserQuery,
    temporary_password,
};
use futures::TryStreamExt;

async fn fake() -> (FakeAuthentik, Client) {
    let fake = FakeAuthentik::start().await.expect("fake");
    let client = fake.client().expect("client");
    (fake, client)
}

#[tokio::test]
async fn seeded_like_the_captures() {
    let (_fake, c) = fake().await;
    let all: Vec<_> = c
        .users()
        .list(&UserQuery::new().page_size(2))
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 7);
    let shared = c
        .users()
        .find_by_email("shared@example.test")
        .await
        .expect("find");
    assert_eq!(shared.len(), 2);
    assert!(
        c.users()
            .find_by_email("SHARED@example.test")
            .await
            .expect("find")
            .is_empty()
    );
    let groups: Vec<_> = c
        .groups()
        .list(&GroupQuery::new())
        .try_collect()
        .await
        .expect("groups");
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g.users_obj.is_none()));
}

#[tokio::test]
async fn invite_like_flow() {
    let (fake, c) = fake().await;
    let techs = c
        .groups()
        .find_by_name("techs")
        .await
        .expect("find")
        .expect("techs");
    let user = c
        .users()
        .create(
            &NewUser::new("jane.doe", "Jane Doe")
                .email("jane@example.test")
                .groups([techs.pk.clone()]),
        )
        .await
        .expect("create");
    let dup = c.users().create(&NewUser::new("jane.doe", "J")).await;
    assert!(dup.is_err_and(|e| e.field_errors("username").is_some()));
    let pw = temporary_password().expect("password");
    c.users().set_password(user.pk, &pw).await.expect("set");
    let stored = fake.password_of(user.pk).flatten().expect("password set");
    assert_eq!(stored.expose_secret(), pw.expose_secret());
    assert!(
        c.users()
            .set_password(user.pk, &SecretString::from(""))
            .await
            .is_err()
    );
    let members: Vec<_> = c
        .users()
        .list(&UserQuery::new().group("techs"))
        .try_collect()
        .await
        .expect("members");
    assert!(members.iter().any(|u| u.pk == user.pk));
    c.groups()
        .remove_user(&techs.pk, user.pk)
        .await
        .expect("remove");
    assert!(c.users().get(user.pk).await.expect("get").groups.is_empty());
    c.groups().add_user(&techs.pk, user.pk).await.expect("add");
    let off = c.users().deactivate(user.pk).await.expect("deactivate");
    assert!(!off.is_active);
    assert!(matches!(
        c.users().recovery_link(user.pk).await,
        Err(Error::NoRecoveryFlow)
    ));
    c.users().delete(user.pk).await.expect("delete");
    assert!(
        c.users()
            .get(user.pk)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    let g = c
        .groups()
        .create(&NewGroup::new("contractors"))
        .await
        .expect("group");
    assert!(
        c.groups()
            .create(&NewGroup::new("contractors"))
            .await
            .is_err()
    );
    assert_eq!(g.name, "contractors");
    // No request logged a password in clear.
    let log = format!("{:?}", fake.requests());
    assert!(!log.contains(pw.expose_secret()));
}

#[tokio::test]
async fn wrong_token_is_forbidden() {
    let fake = FakeAuthentik::start().await.expect("fake");
    let c = Client::builder(fake.url())
        .token("nope")
        .build()
        .expect("client");
    let e = c.users().get(3).await.expect_err("403");
    assert!(e.is_forbidden(), "{e:?}");
}

#[tokio::test]
async fn token_is_the_one_accepted() {
    let fake = FakeAuthentik::start().await.expect("fake");
    assert_eq!(fake.token(), authentik_admin::testkit::FAKE_TOKEN);
    let other = FakeAuthentik::start_with_token("another-token")
        .await
        .expect("fake");
    assert_eq!(other.token(), "another-token");
    let c = Client::builder(other.url())
        .token(other.token().to_owned())
        .build()
        .expect("client");
    assert_eq!(c.users().get(3).await.expect("user").pk, 3);
}

#[tokio::test]
async fn injected_faults_are_retried_on_gets() {
    let fake = FakeAuthentik::start().await.expect("fake");
    let c = Client::builder(fake.url())
        .token(authentik_admin::testkit::FAKE_TOKEN)
        .retry(
            authentik_admin::RetryConfig::standard()
                .with_initial_backoff(std::time::Duration::from_millis(1))
                .with_max_backoff(std::time::Duration::from_millis(5)),
        )
        .build()
        .expect("client");
    fake.fail_next(503, 1, Some("/api/v3/core/users/"));
    assert_eq!(
        c.users().get(4).await.expect("retried").username,
        "alice.ops"
    );
    fake.fail_next(502, 1, None);
    let e = c
        .users()
        .create(&NewUser::new("x.y", "X Y"))
        .await
        .expect_err("a write is not replayed after a 502");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
}
