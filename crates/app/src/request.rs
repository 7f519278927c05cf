//! Who is asking from where: recorded in the audit log and used for rate limits.

/// Facts about the HTTP request behind a use case.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// For work started from the terminal or the worker, not from a request.
    pub fn system() -> Self {
        Self::default()
    }

    pub fn ip_or_unknown(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown")
    }
}
