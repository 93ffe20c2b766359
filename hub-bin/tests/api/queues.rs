use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{ADMIN_TOKEN, Db, spawn_app_with};

async fn wait_until<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn outbox_writes_and_dead_letters(db: Db) {
    let t = spawn_app_with(db, |s| s.workers.max_attempts = 2).await;
    let state = &t.app.state;
    let outbox = state.store.outbox();
    let job = t.fake.all("Dispatch Job")[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    // A write to ERPNext through the outbox.
    let payload = json!({"doctype": "Dispatch Job", "name": job, "fields": {"description": "bring a ladder"}});
    outbox
        .enqueue(
            "frappe.update",
            "job-note-1",
            &json!({}),
            &serde_json::to_vec(&payload).unwrap(),
            None,
            false,
        )
        .await
        .unwrap();
    state.outbox_wake.notify_one();
    let fake = t.fake.clone();
    let job2 = job.clone();
    assert!(
        wait_until(|| {
            let fake = fake.clone();
            let job = job2.clone();
            async move { fake.get("Dispatch Job", &job).unwrap()["description"] == "bring a ladder" }
        })
        .await
    );
    // A write ERPNext keeps refusing is dead-lettered after max_attempts.
    let bad = json!({"doctype": "Dispatch Job", "name": job, "fields": {"status": "Teleported"}});
    t.fake.inject(
        frappe_client::testkit::Fault::status(503)
            .times(10)
            .only_path("/api/resource/Dispatch"),
    );
    outbox
        .enqueue(
            "frappe.update",
            "job-bad-1",
            &json!({}),
            &serde_json::to_vec(&bad).unwrap(),
            None,
            false,
        )
        .await
        .unwrap();
    state.outbox_wake.notify_one();
    let ob = outbox.clone();
    assert!(
        wait_until(|| {
            let ob = ob.clone();
            async move { ob.depth().await.unwrap().1 == 1 }
        })
        .await
    );
    let r = t
        .token(Method::GET, "/admin/dead-letters/outbox", ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let dead: Value = r.json().await.unwrap();
    assert_eq!(dead[0]["delivery_key"], "job-bad-1");
    assert_eq!(dead[0]["attempts"], 2);
    assert!(
        dead[0]["last_error"].as_str().unwrap().contains("503"),
        "{dead}"
    );
    // Replaying it (the fault has been used up by now or not) puts it back in the queue.
    let id = dead[0]["id"].as_i64().unwrap();
    let r = t
        .token(
            Method::POST,
            &format!("/admin/dead-letters/outbox/{id}/replay"),
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .token(
            Method::POST,
            "/admin/dead-letters/outbox/999999/replay",
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = t
        .token(
            Method::POST,
            "/admin/dead-letters/sideways/1/replay",
            ADMIN_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "queue");
}
both_backends!(
    outbox_writes_retry_then_dead_letter_and_replay,
    outbox_writes_and_dead_letters
);

async fn lease_expiry(db: Db) {
    let t = spawn_app_with(db, |s| s.workers.workers = 0).await;
    let inbox = t.app.state.store.inbox();
    inbox
        .enqueue("frappe", "k1", &json!({}), b"{}", None, false)
        .await
        .unwrap();
    // A worker claims it and dies without a word.
    let first = inbox
        .claim(Duration::from_millis(100))
        .await
        .unwrap()
        .unwrap();
    assert!(
        inbox
            .claim(Duration::from_millis(100))
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Once the lease runs out another worker gets it.
    let second = inbox.claim(Duration::from_secs(60)).await.unwrap().unwrap();
    assert_eq!((second.id, second.attempts), (first.id, 2));
    // The first worker, back from the dead, cannot record an outcome over the new claim.
    assert!(!inbox.complete(&first).await.unwrap());
    assert!(
        !inbox
            .fail(&first, "late", 1, Duration::from_millis(1))
            .await
            .unwrap()
    );
    assert!(inbox.complete(&second).await.unwrap());
    assert_eq!(inbox.depth().await.unwrap(), (0, 0));
}
both_backends!(a_lost_lease_is_claimed_again_and_fenced, lease_expiry);
