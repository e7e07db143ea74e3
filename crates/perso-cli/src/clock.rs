//! The clock the commands use: the system's, or `--now` (so previews and tests are
//! reproducible, as the engine's are).

use crate::error::{CliError, Result};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Clock {
    /// Use this instant instead of the system clock (RFC 3339, or YYYY-MM-DD).
    #[arg(long, global = false)]
    pub now: Option<String>,
}

impl Clock {
    pub fn now_ms(&self) -> Result<i64> {
        match &self.now {
            Some(text) => perso_core::time::parse_rfc3339(text).ok_or_else(|| {
                CliError::Usage(format!("--now `{text}` is not an RFC 3339 instant or YYYY-MM-DD date"))
            }),
            None => Ok(system_now_ms()),
        }
    }
}

pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (seconds precision, UTC).
pub fn format_rfc3339(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let day = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::profiles::orders::civil_from_days(day),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_what_the_engine_parses() {
        let ms = perso_core::time::parse_rfc3339("2026-11-25T13:04:05Z").unwrap();
        assert_eq!(super::format_rfc3339(ms), "2026-11-25T13:04:05Z");
    }
}
