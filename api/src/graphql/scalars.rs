//! `DateTime`: a moment in UTC. Written as RFC 3339 with `Z`, as the exports write it; read from
//! RFC 3339, or from a date or a date and time without an offset, both taken as UTC. Input it
//! cannot read is the client's error (`BAD_USER_INPUT`), with the reason.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use super::error::code;

/// A moment in UTC, the `DateTime` scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

/// A moment in UTC, written as RFC 3339 with `Z` (`2012-08-01T08:59:00Z`). As input, a date
/// alone (`2013-01-01`, midnight) or a date and time without an offset (`2012-08-01T08:59:00`,
/// as `lastEdited` gives it) is read as UTC.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        let refuse = |message: String| {
            Err(InputValueError::custom(message).with_extension("code", code::BAD_USER_INPUT))
        };
        let Value::String(text) = value else {
            return refuse(format!(
                "a DateTime is a string such as \"2013-01-01T00:00:00Z\", not {value}"
            ));
        };
        match read(text.trim()) {
            Some(moment) => Ok(Self(moment)),
            None => refuse(format!(
                "\"{text}\" is not a date and time: write RFC 3339 (\"2013-01-01T00:00:00Z\"), \
                 a date (\"2013-01-01\") or a date and time without an offset, both read as UTC"
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

/// RFC 3339; else a date and time without an offset, or a date, as UTC.
fn read(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Some(moment.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(moment: DateTime<Utc>) -> Self {
        Self(moment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<String> {
        Timestamp::parse(Value::String(text.to_owned()))
            .ok()
            .map(|t| t.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    #[test]
    fn reads_rfc_3339_dates_and_offsetless_times_as_utc() {
        let cases = [
            ("2013-01-01T00:00:00Z", "2013-01-01T00:00:00Z"),
            ("2013-01-01T02:00:00+02:00", "2013-01-01T00:00:00Z"),
            ("2013-01-01", "2013-01-01T00:00:00Z"),
            ("2012-08-01T08:59:00", "2012-08-01T08:59:00Z"),
            ("2012-08-01 08:59:00.250", "2012-08-01T08:59:00.250Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parsed(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read_as_bad_user_input() {
        for input in ["2013-13-01", "yesterday", "", "2013-01-01T25:00:00Z"] {
            let err = Timestamp::parse(Value::String(input.to_owned()))
                .err()
                .map(|e| e.into_server_error(async_graphql::Pos::default()));
            let err = err.unwrap_or_else(|| panic!("{input} was read"));
            assert!(err.message.contains(input), "{}", err.message);
            let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
            assert_eq!(code, Some(Value::from(code::BAD_USER_INPUT)), "{input}");
        }
        assert!(Timestamp::parse(Value::from(2013)).is_err());
    }

    #[test]
    fn writes_z_and_no_more_fraction_than_it_has() {
        let moment = read("2012-08-01T08:59:00+00:00").map(Timestamp);
        assert_eq!(
            moment.map(|m| m.to_value()),
            Some(Value::from("2012-08-01T08:59:00Z"))
        );
    }
}
