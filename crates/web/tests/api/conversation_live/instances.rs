//! The two-instance harness: a second instance serves the same data and hears the first
//! one's bell through Redis.

use crate::helpers::{spawn_app_with_redis, Backend};
use app::bus::{Channel, Signal};
use reqwest::StatusCode;
use std::time::Duration;

/// Someone who registers through instance A signs in through instance B, and a bell rung
/// on A is heard on B: the same databases, keys and Redis.
async fn a_second_instance_serves_the_same_data_and_hears_the_bell(backend: Backend) {
    let Some(a) = spawn_app_with_redis(backend).await else {
        return;
    };
    let b = a.second_instance().await;
    assert_ne!(a.port, b.port);
    let user = a.named("Aaron Able").await;
    let on_b = b.signed_in_again(&user).await;
    // A token B issued is good on A: one signing key in the shared data folder.
    let res = a.get_as(&on_b.access_token, "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut on_b = b.ctx.bus.subscribe(Channel::Conversation);
    a.ctx.bus.ring(Channel::Conversation, "circle-1").await;
    let heard = loop {
        let signal = tokio::time::timeout(Duration::from_secs(5), on_b.next())
            .await
            .expect("B hears A's bell");
        // A fresh subscription first says "re-read everything".
        if signal != Some(Signal::Everything) {
            break signal;
        }
    };
    assert_eq!(heard, Some(Signal::Changed("circle-1".into())));
}

mod a_second_instance_serves_the_same_data_and_hears_the_bell {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_second_instance_serves_the_same_data_and_hears_the_bell(
            crate::helpers::Backend::Postgres,
        )
        .await
    }
}
