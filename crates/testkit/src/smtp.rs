//! A real SMTP server on loopback: aiosmtpd running `support/smtp_server.py`, which demands
//! STARTTLS (with a self-signed certificate the client is told to trust) and AUTH, and
//! writes every message it accepts to a folder as JSON.
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `smtp_server.py`; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    /// The certificate a client must trust for STARTTLS.
    pub ca_file: PathBuf,
    received: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts a server that accepts `user` with `password`, or returns `None` after
    /// [`crate::unavailable`] when python3 or aiosmtpd is missing outside CI.
    pub fn start(user: &str, password: &str) -> Option<SmtpServer> {
        if let Err(why) = python_with_aiosmtpd() {
            let why = format!("{why}; install it with `python3 -m pip install aiosmtpd`");
            crate::unavailable("an SMTP server (aiosmtpd)", &why);
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("self-signed certificate");
        let ca_file = dir.path().join("cert.pem");
        let key_file = dir.path().join("key.pem");
        std::fs::write(&ca_file, cert.cert.pem()).unwrap();
        std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
        let received = dir.path().join("received");
        std::fs::create_dir_all(&received).unwrap();
        for _ in 0..crate::PORT_ATTEMPTS {
            let port = crate::free_port();
            let args = Args {
                port,
                ca_file: &ca_file,
                key_file: &key_file,
                user,
                password,
                received: &received,
            };
            if let Some(child) = spawn_ready(&args) {
                return Some(SmtpServer {
                    child,
                    port,
                    ca_file,
                    received,
                    _dir: dir,
                });
            }
        }
        panic!(
            "smtp_server.py did not get ready on any of {} ports",
            crate::PORT_ATTEMPTS
        );
    }

    /// Every message accepted so far, oldest first, as the script recorded it:
    /// `{"mail_from", "rcpt_tos", "tls", "authenticated_as", "raw", "text"}`.
    pub fn received(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(&self.received)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

fn python_with_aiosmtpd() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err("python3 has no aiosmtpd module".into()),
        Err(e) => Err(format!("python3 cannot be run: {e}")),
    }
}

struct Args<'a> {
    port: u16,
    ca_file: &'a Path,
    key_file: &'a Path,
    user: &'a str,
    password: &'a str,
    received: &'a Path,
}

/// Runs the script and waits for its READY line; `None` when it ends first (the port was
/// taken after all).
fn spawn_ready(args: &Args) -> Option<Child> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/support/smtp_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(args.port.to_string())
        .arg(args.ca_file)
        .arg(args.key_file)
        .arg(args.user)
        .arg(args.password)
        .arg(args.received)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start smtp_server.py");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next().and_then(Result::ok));
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(line)) if line.trim() == "READY" => Some(child),
        Ok(_) => {
            let _ = child.wait();
            None
        }
        Err(e) => {
            let _ = child.kill();
            panic!("smtp_server.py did not get ready: {e}");
        }
    }
}
