//! Reading email as a person's mail program would: the `.eml` files an outbox folder holds,
//! headers and a body (quoted-printable decoded; of a multipart/alternative message, the
//! plain-text part, with the HTML part beside it), and the token in a link.

use std::path::Path;

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The plain text.
    pub body: String,
    /// The HTML part, when the message has one.
    pub html: Option<String>,
    /// Where it was read from, for failure messages.
    pub file: String,
}

/// Every `.eml` file in the outbox, oldest first (file names are UUIDv7 job ids).
pub fn read_outbox(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        // A message that vanished or is not text since the listing is not one to check.
        .filter_map(|p| {
            let raw = std::fs::read_to_string(p).ok()?;
            Some(Mail {
                file: p.display().to_string(),
                ..parse(&raw)
            })
        })
        .collect()
}

/// Head and body of a message or a part (CRLF line ends, or LF as some servers store it).
fn split(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""))
}

/// A body decoded as its head says.
fn decoded(head: &str, body: &str) -> String {
    if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        decode_quoted_printable(body)
    } else {
        body.replace("\r\n", "\n")
    }
}

/// The `boundary="…"` of a multipart head.
fn boundary(head: &str) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    if !lower.contains("content-type: multipart/") {
        return None;
    }
    let at = lower.find("boundary=")? + "boundary=".len();
    let rest = head[at..].trim_start_matches('"');
    Some(
        rest.chars()
            .take_while(|c| *c != '"' && *c != ';' && !c.is_whitespace())
            .collect(),
    )
}

/// One message as sent over the wire.
pub fn parse(raw: &str) -> Mail {
    let (head, body) = split(raw);
    let header = |name: &str| {
        head.lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .and_then(|l| l.split_once(':'))
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    };
    let (text, html) = match boundary(head) {
        None => (decoded(head, body), None),
        Some(b) => {
            let (mut text, mut html) = (String::new(), None);
            for part in body.split(&format!("--{b}")).skip(1) {
                let part = part.trim_start_matches(['\r', '\n']);
                let (part_head, part_body) = split(part);
                let kind = part_head.to_ascii_lowercase();
                if kind.contains("content-type: text/plain") {
                    text = decoded(part_head, part_body);
                } else if kind.contains("content-type: text/html") {
                    html = Some(decoded(part_head, part_body));
                }
            }
            (text, html)
        }
    };
    Mail {
        to: header("To"),
        subject: header("Subject"),
        body: text,
        html,
        file: String::new(),
    }
}

/// Undoes quoted-printable: soft line breaks (`=` at a line end) and `=XX` escapes.
fn decode_quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

/// The `token` query value of the first `…/<path>?token=…` link in `body`.
pub fn link_token(body: &str, path: &str) -> Option<String> {
    let marker = format!("/{path}?token=");
    let start = body.find(&marker)? + marker.len();
    Some(
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}
