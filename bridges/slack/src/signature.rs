//! Slack request signatures (Events API over HTTP): `v0=` hex HMAC-SHA256 of
//! `v0:{timestamp}:{body}` with the signing secret, within five minutes of now.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a request's timestamp may be from now, either way.
pub const WINDOW_SECS: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("X-Slack-Request-Timestamp is not a Unix time")]
    BadTimestamp,
    #[error("the request is older or newer than five minutes")]
    OutOfWindow,
    #[error("the signature does not match")]
    Mismatch,
}

/// The signature Slack sends for `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC accepts keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a request's headers against its body at `now` (Unix seconds).
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let at: i64 = ts
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - at).abs() > WINDOW_SECS {
        return Err(SignatureError::OutOfWindow);
    }
    let expected = sign(secret, ts.trim(), body);
    if bool::from(expected.as_bytes().ct_eq(sig.trim().as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's worked example from "Verifying requests from Slack".
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_documented_example_verifies() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
        assert_eq!(
            verify(
                SECRET,
                Some(TS),
                Some(SIG),
                BODY.as_bytes(),
                1_531_420_618 + 10
            ),
            Ok(())
        );
    }

    #[test]
    fn forged_missing_stale_and_future_requests_are_refused() {
        let body = BODY.as_bytes();
        let now = 1_531_420_618;
        assert_eq!(
            verify(SECRET, None, Some(SIG), body, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some(TS), None, body, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some("yesterday"), Some(SIG), body, now),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), body, now + 301),
            Err(SignatureError::OutOfWindow)
        );
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), body, now - 301),
            Err(SignatureError::OutOfWindow)
        );
        assert_eq!(
            verify("another-secret", Some(TS), Some(SIG), body, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), b"token=changed", now),
            Err(SignatureError::Mismatch)
        );
        let forged = SIG.replace('a', "b");
        assert_eq!(
            verify(SECRET, Some(TS), Some(&forged), body, now),
            Err(SignatureError::Mismatch)
        );
    }
}
