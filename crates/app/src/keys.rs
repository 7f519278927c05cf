//! Secrets the server itself holds: the access-token signing key and the versioned
//! field-encryption keys. In development they are generated into `<data>/secrets` with
//! owner-only permissions; in production they must be configured.

use crate::config::{Environment, Secret, Settings};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use anyhow::{anyhow, bail, Context as _};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub struct Keys {
    pub token_signing: Vec<u8>,
    pub fields: FieldCipher,
    /// The bearer token `/metrics` asks for (`metrics.token`), if any.
    pub metrics_token: Option<Secret>,
}

impl Keys {
    pub fn load(settings: &Settings) -> anyhow::Result<Keys> {
        let dir = settings.data.dir.join("secrets");
        let token = match read_secret(
            &settings.auth.token_signing_key,
            settings.auth.token_signing_key_file.as_deref(),
        )? {
            Some(k) => k,
            None => generated(settings, &dir.join("token-signing.key"), || {
                B64.encode(random_bytes(48))
            })?,
        };
        if token.len() < 32 {
            bail!("auth.token_signing_key: must be at least 32 bytes long");
        }
        let fields = match read_secret(
            &settings.auth.encryption_keys,
            settings.auth.encryption_keys_file.as_deref(),
        )? {
            Some(k) => k,
            None => generated(settings, &dir.join("encryption.keys"), || {
                format!("1:{}", B64.encode(random_bytes(32)))
            })?,
        };
        let fields = FieldCipher::parse(&fields).context("auth.encryption_keys")?;
        let metrics_token = read_secret(
            &settings.metrics.token,
            settings.metrics.token_file.as_deref(),
        )
        .context("metrics.token_file")?;
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.len() < crate::config::metrics_token_min_len())
        {
            bail!(
                "metrics.token_file: the token must be at least {} characters",
                crate::config::metrics_token_min_len()
            );
        }
        Ok(Keys {
            token_signing: token.into_bytes(),
            fields,
            metrics_token: metrics_token.map(Secret::new),
        })
    }
}

fn read_secret(value: &Option<Secret>, file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(v) = value {
        return Ok(Some(v.expose().trim().to_owned()));
    }
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read secret file {}", path.display()))?;
            Ok(Some(text.trim().to_owned()))
        }
        None => Ok(None),
    }
}

/// Reads a generated secret, creating it (mode 0600, folder 0700) on first run.
fn generated(
    settings: &Settings,
    path: &Path,
    make: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    if settings.env == Environment::Production {
        bail!(
            "{} is not configured; production never generates secrets",
            path.display()
        );
    }
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    let dir = path.parent().ok_or_else(|| anyhow!("bad secret path"))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    restrict(dir, 0o700)?;
    let value = make();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(value.as_bytes())?;
            f.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new secret");
            Ok(value)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)?.trim().to_owned())
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
    }
    let _ = (path, mode);
    Ok(())
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// AES-256-GCM with key versions: the newest key encrypts, every listed key decrypts, so
/// keys can rotate without re-encrypting everything at once.
pub struct FieldCipher {
    keys: BTreeMap<i32, Key<Aes256Gcm>>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<_> = self.keys.keys().collect();
        f.debug_struct("FieldCipher")
            .field("key_versions", &versions)
            .finish_non_exhaustive()
    }
}

impl FieldCipher {
    /// Parses `1:base64key,2:base64key`.
    pub fn parse(spec: &str) -> anyhow::Result<FieldCipher> {
        let mut keys = BTreeMap::new();
        for part in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (version, key) = part
                .split_once(':')
                .ok_or_else(|| anyhow!("each key must look like 1:<base64 of 32 bytes>"))?;
            let version: i32 = version
                .trim()
                .parse()
                .map_err(|_| anyhow!("key version {version:?} is not a number"))?;
            let bytes = B64
                .decode(key.trim())
                .map_err(|_| anyhow!("key {version} is not valid base64"))?;
            if bytes.len() != 32 {
                bail!("key {version} must be 32 bytes, found {}", bytes.len());
            }
            keys.insert(version, *Key::<Aes256Gcm>::from_slice(&bytes));
        }
        if keys.is_empty() {
            bail!("no key given");
        }
        Ok(FieldCipher { keys })
    }

    pub fn current_version(&self) -> i32 {
        *self.keys.keys().next_back().expect("at least one key")
    }

    /// Encrypts `plaintext` bound to `context` (e.g. the owner's id), returning
    /// base64(nonce ‖ ciphertext) and the key version used.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> (String, i32) {
        let version = self.current_version();
        let cipher = Aes256Gcm::new(&self.keys[&version]);
        let nonce_bytes = random_bytes(12);
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ct = cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption cannot fail");
        let mut out = nonce_bytes;
        out.extend_from_slice(&ct);
        (B64.encode(out), version)
    }

    pub fn decrypt(&self, encoded: &str, version: i32, context: &[u8]) -> anyhow::Result<Vec<u8>> {
        let key = self
            .keys
            .get(&version)
            .ok_or_else(|| anyhow!("encryption key version {version} is not configured"))?;
        let raw = B64.decode(encoded).context("ciphertext is not base64")?;
        if raw.len() < 12 {
            bail!("ciphertext too short");
        }
        let (nonce, ct) = raw.split_at(12);
        Aes256Gcm::new(key)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| anyhow!("ciphertext failed authentication"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        B64.encode(random_bytes(32))
    }

    #[test]
    fn rotation_keeps_old_ciphertext_readable() {
        let k1 = key();
        let old = FieldCipher::parse(&format!("1:{k1}")).unwrap();
        let (ct, v) = old.encrypt(b"secret", b"user-1");
        let rotated = FieldCipher::parse(&format!("1:{k1},2:{}", key())).unwrap();
        assert_eq!(rotated.current_version(), 2);
        assert_eq!(rotated.decrypt(&ct, v, b"user-1").unwrap(), b"secret");
        let (_, v2) = rotated.encrypt(b"x", b"");
        assert_eq!(v2, 2);
    }

    #[test]
    fn ciphertext_is_bound_to_its_owner() {
        let c = FieldCipher::parse(&format!("1:{}", key())).unwrap();
        let (ct, v) = c.encrypt(b"secret", b"user-1");
        assert!(c.decrypt(&ct, v, b"user-2").is_err());
    }

    #[test]
    fn bad_key_specs_are_explained() {
        assert!(FieldCipher::parse("").is_err());
        assert!(FieldCipher::parse("1:short").is_err());
        assert!(FieldCipher::parse("x:abcd")
            .unwrap_err()
            .to_string()
            .contains("not a number"));
    }

    #[test]
    fn generated_secrets_are_owner_only_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::default();
        s.data.dir = dir.path().to_path_buf();
        let first = Keys::load(&s).unwrap();
        let again = Keys::load(&s).unwrap();
        assert_eq!(first.token_signing, again.token_signing);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets/token-signing.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(dir.path().join("secrets"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
