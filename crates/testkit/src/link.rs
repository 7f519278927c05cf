//! A network link a test can cut: a loopback TCP relay in front of a server. Cut, it drops
//! every open connection and every new one, which is what a browser without signal sees;
//! restored, it relays again. The relay keeps its own port throughout, so a browser's
//! origin (and its service worker) stays the same and no other test can take the port in
//! between, as it could while a stopped server is started again.

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Link {
    port: u16,
    up: watch::Sender<bool>,
    relay: tokio::task::JoinHandle<()>,
}

impl Link {
    /// A link, up, to the server listening on `target_port` on loopback.
    pub async fn to(target_port: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the link");
        let port = listener.local_addr().expect("the link's address").port();
        let (up, state) = watch::channel(true);
        let relay = tokio::spawn(relay(listener, target_port, state));
        Link { port, up, relay }
    }

    /// Where clients reach the server through the link.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Drops every connection now and refuses new ones until [`Link::restore`].
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // The open connections end with the sender (their `wait_for` fails).
        self.relay.abort();
    }
}

async fn relay(listener: TcpListener, target_port: u16, state: watch::Receiver<bool>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        if !*state.borrow() {
            continue; // dropped at once: the connection closes with no answer
        }
        let mut state = state.clone();
        tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = state.wait_for(|up| !up) => {}
            }
        });
    }
}
