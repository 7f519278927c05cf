//! `GET /circles/{id}/conversation/live?after=<seq>`: a circle conversation delivered live
//! over a WebSocket.
//!
//! The browser signs in with its session cookie (it cannot set headers on a WebSocket), so
//! the `Origin` must be this site's own: a page elsewhere cannot borrow the cookie
//! (cross-site WebSocket hijacking). On connect the socket sends every message after
//! `after` the member may read, page by page; then each ring of the circle's bell makes it
//! re-read the database after its own last sequence number, so nothing is missed whatever
//! the bell loses, and re-check his standing whenever the ring changed more than messages
//! (see [`app::conversation::live::Reader`]) and at every ping. Frames are JSON text:
//!
//! - server: `{"type":"messages","messages":[…],"last_seq":N}`, `{"type":"changed","what":
//!   "roster"|"epoch"|"envelopes"|"settings"|"pins"|"deleted"}`, `{"type":"ping"}`;
//! - browser: `{"type":"read","seq":N}` (read marker), `{"type":"pong"}`.
//!
//! Close codes: 4401 not signed in; 4403 not (or no longer) in the circle, or the session
//! ended; 1011 the server failed.

use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::pages::session::{cookie, is_https, session_cookie};
use crate::state::AppState;
use app::accounts::Changed;
use app::authz::Actor;
use app::bus::{Channel, Listener, Signal};
use app::conversation::live::{self, Reader};
use app::conversation::presence;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::{interval_at, Instant, Interval, MissedTickBehavior};
use uuid::Uuid;

/// How often the server pings (well inside the idle timeouts of proxies).
const PING_EVERY: Duration = Duration::from_secs(25);
/// The largest frame a browser may send (read markers and pongs are tiny).
const MAX_CLIENT_FRAME: usize = 4 * 1024;

pub const NOT_SIGNED_IN: u16 = 4401;
pub const NOT_IN_CIRCLE: u16 = 4403;
const SERVER_FAILED: u16 = 1011;

/// The live route (outside `/api/v1`: it is the browser's, by cookie).
pub fn routes() -> Router<AppState> {
    Router::new().route("/circles/{id}/conversation/live", get(connect))
}

#[derive(Debug, Deserialize)]
struct LiveQuery {
    /// The last sequence number the browser has; everything after it is sent first.
    after: Option<i64>,
}

async fn connect(
    State(state): State<AppState>,
    Path(circle_id): Path<Uuid>,
    Query(query): Query<LiveQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&state, &headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "A live conversation opens only from this site's own pages.",
        )
        .into_response();
    }
    let token = cookie(&headers, session_cookie(&state));
    let after = query.after.unwrap_or(0).max(0);
    upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| async move {
            let mut conn = Connection {
                state,
                socket,
                token,
            };
            let code = conn.serve(circle_id, after).await;
            conn.close(code).await;
        })
}

/// Whether the request comes from a page of this site: its `Origin` is the public URL's,
/// or names the host the request was sent to (a test server on a random port; a rebound
/// DNS name gets this far but carries none of this site's cookies).
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let public = &state.ctx.settings.server.public_url;
    if origin_of(public).is_some_and(|own| own.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let scheme = if is_https(state) { "https" } else { "http" };
    origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url[rest_at..].find('/').map_or(url.len(), |i| rest_at + i);
    Some(&url[..end])
}

/// Frames the server sends.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outgoing<'a> {
    Messages {
        messages: &'a [app::conversation::messages::Message],
        last_seq: i64,
    },
    Changed {
        what: live::Change,
    },
    Ping,
}

/// Frames a browser sends; anything else is ignored.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Read { seq: i64 },
    Pong,
}

/// Why a connection ends: a close code, or the browser left.
enum End {
    Close(u16),
    Gone,
}

impl From<app::Error> for End {
    fn from(e: app::Error) -> End {
        match e {
            app::Error::Unauthenticated | app::Error::SessionRevoked => End::Close(NOT_SIGNED_IN),
            app::Error::Forbidden | app::Error::NotFound(_) | app::Error::AccountSuspended => {
                End::Close(NOT_IN_CIRCLE)
            }
            other => {
                tracing::error!(error = %other, "live conversation failed");
                End::Close(SERVER_FAILED)
            }
        }
    }
}

struct Connection {
    state: AppState,
    socket: WebSocket,
    token: Option<String>,
}

impl Connection {
    async fn serve(&mut self, circle_id: Uuid, after: i64) -> End {
        let ctx = self.state.ctx.clone();
        // Listening starts before the session is checked and the first read: a sign-out or
        // a change committed in between (the browser already holds the upgraded socket)
        // is heard, not left to the next ping.
        let mut bell = ctx.bus.subscribe(Channel::Conversation);
        let mut sessions = ctx.bus.subscribe(Channel::Sessions);
        let actor = match self.authenticate().await {
            Ok(actor) => actor,
            Err(end) => return end,
        };
        let mut reader = match Reader::open(&ctx, &actor, circle_id, after).await {
            Ok(reader) => reader,
            Err(e) => return e.into(),
        };
        let ended = self
            .live(&actor, &mut reader, &mut bell, &mut sessions)
            .await;
        if let Err(e) = presence::offline(&ctx, reader.conversing()).await {
            tracing::warn!(error = %e, "could not mark a member offline");
        }
        ended
    }

    async fn live(
        &mut self,
        actor: &Actor,
        reader: &mut Reader,
        bell: &mut Listener,
        sessions: &mut Listener,
    ) -> End {
        let ctx = self.state.ctx.clone();
        let circle = reader.conversing().circle_id().to_string();
        if let Err(e) = presence::online(&ctx, reader.conversing()).await {
            return e.into();
        }
        if let Err(end) = self.send_new(reader).await {
            return end;
        }
        let mut ping = every(PING_EVERY);
        let mut renew = every(presence::RENEW_EVERY);
        loop {
            let step = tokio::select! {
                signal = bell.next() => match signal {
                    Some(Signal::Changed(c)) if c != circle => Ok(()),
                    Some(_) => self.refresh(actor, reader).await,
                    None => Err(End::Close(SERVER_FAILED)),
                },
                signal = sessions.next() => match signal {
                    Some(Signal::Changed(what)) => match Changed::parse(&what) {
                        Some(changed) if !changed.concerns(actor) => Ok(()),
                        Some(changed) => {
                            // The cache's own listener may not have heard it yet.
                            ctx.sessions.forget(&changed);
                            self.still_signed_in(actor).await
                        }
                        None => self.still_signed_in(actor).await,
                    },
                    _ => self.still_signed_in(actor).await,
                },
                _ = ping.tick() => self.keep_alive(actor, reader).await,
                _ = renew.tick() => presence::online(&ctx, reader.conversing()).await.map_err(End::from),
                frame = self.socket.recv() => self.heard(reader, frame).await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// The bell rang for this circle: what changed (is he still in it?), and what is new.
    async fn refresh(&mut self, actor: &Actor, reader: &mut Reader) -> Result<(), End> {
        let ctx = self.state.ctx.clone();
        for what in reader.changes(&ctx, actor).await? {
            self.send(&Outgoing::Changed { what }).await?;
        }
        self.send_new(reader).await
    }

    /// Every ping: the session and his standing are checked again, whatever rang.
    async fn keep_alive(&mut self, actor: &Actor, reader: &mut Reader) -> Result<(), End> {
        self.still_signed_in(actor).await?;
        reader.recheck(&self.state.ctx, actor).await?;
        self.send(&Outgoing::Ping).await
    }

    /// Sends every message he may read after the last one sent, a page at a time.
    async fn send_new(&mut self, reader: &mut Reader) -> Result<(), End> {
        let ctx = self.state.ctx.clone();
        while let Some(page) = reader.next_page(&ctx).await? {
            self.send(&Outgoing::Messages {
                messages: &page.messages,
                last_seq: page.last_seq,
            })
            .await?;
        }
        Ok(())
    }

    /// Who the session cookie belongs to. (`&mut`: the socket inside is not `Sync`.)
    async fn authenticate(&mut self) -> Result<Actor, End> {
        let Some(token) = &self.token else {
            return Err(End::Close(NOT_SIGNED_IN));
        };
        Ok(app::accounts::authenticate_browser(&self.state.ctx, token).await?)
    }

    /// The session the socket was opened with must still be live.
    async fn still_signed_in(&mut self, actor: &Actor) -> Result<(), End> {
        match self.authenticate().await {
            Ok(now) if now.id() == actor.id() => Ok(()),
            Ok(_) | Err(End::Close(NOT_SIGNED_IN)) => Err(End::Close(NOT_IN_CIRCLE)),
            Err(end) => Err(end),
        }
    }

    /// A frame from the browser.
    async fn heard(
        &mut self,
        reader: &Reader,
        frame: Option<Result<Message, axum::Error>>,
    ) -> Result<(), End> {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(End::Gone),
            Some(Ok(_)) => return Ok(()),
        };
        match serde_json::from_str::<Incoming>(text.as_str()) {
            Ok(Incoming::Read { seq }) => {
                let conv = reader.conversing();
                match app::conversation::settings::mark_read(&self.state.ctx, conv, seq).await {
                    Ok(_) => {}
                    // A marker the server does not take (beyond the newest message) is
                    // the browser's mistake, not a reason to drop its connection.
                    Err(e @ app::Error::Internal(_)) => return Err(e.into()),
                    Err(e) => tracing::debug!(error = %e, "a read marker was refused"),
                }
            }
            Ok(Incoming::Pong) => {}
            Err(_) => tracing::debug!("ignored an unreadable live frame"),
        }
        Ok(())
    }

    async fn send(&mut self, frame: &Outgoing<'_>) -> Result<(), End> {
        let text = serde_json::to_string(frame).map_err(|e| {
            tracing::error!(error = %e, "a live frame did not serialise");
            End::Close(SERVER_FAILED)
        })?;
        self.socket
            .send(Message::text(text))
            .await
            .map_err(|_| End::Gone)
    }

    async fn close(mut self, end: End) {
        if let End::Close(code) = end {
            let reason = match code {
                NOT_SIGNED_IN => "sign in",
                NOT_IN_CIRCLE => "not in this circle",
                _ => "server error",
            };
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = self.socket.send(Message::Close(Some(frame))).await;
        }
    }
}

/// A timer that first fires one `period` from now, and skips ticks it missed.
fn every(period: Duration) -> Interval {
    let mut timer = interval_at(Instant::now() + period, period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(
            origin_of("https://circles.example.org/"),
            Some("https://circles.example.org")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://example.org/base/path"),
            Some("https://example.org")
        );
        assert_eq!(origin_of("no scheme"), None);
    }
}
