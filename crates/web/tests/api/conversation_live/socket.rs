//! A browser's live connection, for the tests: the session cookie a browser gets by signing
//! in through the pages, and a WebSocket client that opens
//! `/circles/{id}/conversation/live` with it and reads JSON frames and close codes.

use crate::helpers::pages::{browser, sign_in};
use crate::helpers::{TestApp, User};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// The session cookie (`name=value`) of `user` signed in through the sign-in page of `app`.
pub async fn session_cookie(app: &TestApp, user: &User) -> String {
    let client = browser();
    let res = sign_in(&client, &app.address, &user.email, &user.password).await;
    let cookie = res
        .cookies()
        .find(|c| c.name() == web::pages::session::SESSION_COOKIE)
        .expect("signing in sets the session cookie");
    format!("{}={}", cookie.name(), cookie.value())
}

/// What a connection attempt sends.
pub struct Open<'a> {
    pub cookie: Option<&'a str>,
    /// `None`: the app's own origin.
    pub origin: Option<&'a str>,
    pub after: i64,
    /// Extra headers (`Accept-Encoding`, …).
    pub headers: Vec<(&'static str, &'a str)>,
}

impl<'a> Open<'a> {
    pub fn with(cookie: &'a str) -> Open<'a> {
        Open {
            cookie: Some(cookie),
            origin: None,
            after: 0,
            headers: Vec::new(),
        }
    }

    pub fn after(mut self, seq: i64) -> Open<'a> {
        self.after = seq;
        self
    }
}

/// One end of a live conversation.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every message sequence number received so far, in order.
    pub seqs: Vec<i64>,
}

/// A frame as the test sees it.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Closed(Option<u16>),
}

impl Socket {
    /// Opens the live conversation of `circle` on `app`; the handshake's HTTP status when
    /// the server refuses to upgrade.
    pub async fn open(app: &TestApp, circle: &str, how: Open<'_>) -> Result<Socket, u16> {
        let url = format!(
            "ws://127.0.0.1:{}/circles/{circle}/conversation/live?after={}",
            app.port, how.after
        );
        let mut req = url.into_client_request().expect("a WebSocket request");
        let origin = how
            .origin
            .map_or_else(|| app.address.clone(), str::to_owned);
        let headers = req.headers_mut();
        headers.insert("origin", HeaderValue::from_str(&origin).unwrap());
        if let Some(cookie) = how.cookie {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        for (name, value) in how.headers {
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => Ok(Socket {
                ws,
                seqs: Vec::new(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("cannot open the live conversation: {e}"),
        }
    }

    /// The next frame that is not a ping, within [`PATIENCE`].
    pub async fn next(&mut self) -> Frame {
        self.next_within(PATIENCE)
            .await
            .expect("a frame within the test's patience")
    }

    /// The next frame that is not a ping, if one comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Frame> {
        loop {
            let read = tokio::time::timeout(wait, self.ws.next()).await.ok()?;
            let frame = match read {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("JSON frames");
                    if v["type"] == "ping" {
                        continue;
                    }
                    if v["type"] == "messages" {
                        for m in v["messages"].as_array().expect("a list") {
                            self.seqs.push(m["seq"].as_i64().expect("a seq"));
                        }
                    }
                    Frame::Json(v)
                }
                Some(Ok(Message::Close(frame))) => Frame::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(Message::Binary(_))) => panic!("the server sends text frames only"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Frame::Closed(None),
            };
            return Some(frame);
        }
    }

    /// Reads frames until messages up to `seq` arrived; the `messages` frames read.
    pub async fn messages_until(&mut self, seq: i64) -> Vec<Value> {
        let mut frames = Vec::new();
        while self.seqs.last().is_none_or(|last| *last < seq) {
            match self.next().await {
                Frame::Json(v) if v["type"] == "messages" => frames.push(v),
                Frame::Json(_) => {}
                Frame::Closed(code) => panic!("closed ({code:?}) before message {seq}"),
            }
        }
        frames
    }

    /// Reads frames until the server closes; its close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Frame::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    /// The `changed` frames (their `what`) until `what` arrives.
    pub async fn changed_until(&mut self, what: &str) -> Vec<String> {
        let mut seen = Vec::new();
        while seen.last().is_none_or(|w| w != what) {
            match self.next().await {
                Frame::Json(v) if v["type"] == "changed" => {
                    seen.push(v["what"].as_str().expect("what changed").to_owned());
                }
                Frame::Json(_) => {}
                Frame::Closed(code) => panic!("closed ({code:?}) before {what} changed"),
            }
        }
        seen
    }

    /// Sends a frame as the browser would.
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("frame sent");
    }

    /// The browser goes away.
    pub async fn leave(mut self) {
        let _ = self.ws.close(Some(close_normal())).await;
    }
}

fn close_normal() -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
    tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    }
}
