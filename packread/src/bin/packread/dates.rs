//! Dates as git's `show_date` shows them (`--date=`, `%ad`, `%ar`...):
//! in the identity's own zone, or with `-local` in the local one; relative
//! to now (`GIT_TEST_DATE_NOW` if set, as in git); `human` hiding what is
//! the same as now.

use std::fmt::Write;

use crate::civil::civil;

/// How dates are shown (git's `date_mode_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateKind {
    Default,
    Iso,
    IsoStrict,
    Rfc,
    Short,
    Raw,
    Unix,
    Relative,
    Human,
}

/// A `--date=` mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateMode {
    pub kind: DateKind,
    /// `-local`: in the local time zone.
    pub local: bool,
}

impl DateMode {
    pub const DEFAULT: DateMode = DateMode::of(DateKind::Default);

    pub const fn of(kind: DateKind) -> DateMode {
        DateMode { kind, local: false }
    }

    /// git's `parse_date_format`; `Err` with git's message.
    pub fn parse(format: &str) -> Result<DateMode, String> {
        let format = match format.strip_prefix("auto:") {
            // Not a terminal here (packread's output is for scripts).
            Some(_) => "default",
            None if format == "local" => "default-local",
            None => format,
        };
        let names: [(&[&str], DateKind); 9] = [
            (&["relative"], DateKind::Relative),
            (&["iso8601-strict", "iso-strict"], DateKind::IsoStrict),
            (&["iso8601", "iso"], DateKind::Iso),
            (&["rfc2822", "rfc"], DateKind::Rfc),
            (&["short"], DateKind::Short),
            (&["default"], DateKind::Default),
            (&["human"], DateKind::Human),
            (&["raw"], DateKind::Raw),
            (&["unix"], DateKind::Unix),
        ];
        let found = names.iter().find_map(|(prefixes, kind)| {
            prefixes
                .iter()
                .find_map(|p| format.strip_prefix(p))
                .map(|rest| (*kind, rest))
        });
        let Some((kind, rest)) = found else {
            if format.starts_with("format") {
                return Err("packread does not support --date=format:".into());
            }
            return Err(format!("unknown date format {format}"));
        };
        let (local, rest) = match rest.strip_prefix("-local") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !rest.is_empty() {
            return Err(format!("unknown date format {format}"));
        }
        Ok(DateMode { kind, local })
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// git's `get_time`: `GIT_TEST_DATE_NOW` (as `atoi` reads it), else now.
pub fn now() -> i64 {
    if let Ok(v) = std::env::var("GIT_TEST_DATE_NOW") {
        let digits: String = v
            .trim_start()
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
            .map(|(_, c)| c)
            .collect();
        return digits.parse().unwrap_or(0);
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// git's `local_time_tzoffset`: the local zone's offset at `t`, as
/// `±HHMM` in an integer.
fn local_tz(t: i64) -> i32 {
    let Ok(ts) = jiff::Timestamp::from_second(t) else {
        return 0;
    };
    let seconds = jiff::tz::TimeZone::system().to_offset(ts).seconds();
    let minutes = seconds.abs() / 60;
    (minutes % 60 + minutes / 60 * 100) * seconds.signum()
}

/// `±HHMM` of a zone `minutes` east of UTC.
fn hhmm(minutes: i32) -> i32 {
    (minutes.abs() / 60 * 100 + minutes.abs() % 60) * minutes.signum()
}

/// Minutes east of UTC of a `±HHMM` zone.
fn minutes_of(tz: i32) -> i64 {
    i64::from(tz.signum()) * i64::from(tz.abs() / 100 * 60 + tz.abs() % 100)
}

/// git's `show_date` of `time` in a zone `zone_minutes` east of UTC.
pub fn show_date(time: i64, zone_minutes: i32, mode: DateMode) -> String {
    let mut tz = hhmm(zone_minutes);
    if mode.kind == DateKind::Unix {
        return time.to_string();
    }
    let mut human: Option<(Tm, i32)> = None;
    if mode.kind == DateKind::Human {
        let now = now();
        let htz = local_tz(now);
        human = Some((Tm::at(now.saturating_add(minutes_of(htz) * 60)), htz));
    }
    if mode.local {
        tz = local_tz(time);
    }
    if mode.kind == DateKind::Raw {
        return format!("{time} {tz:+05}");
    }
    if mode.kind == DateKind::Relative {
        return relative(time, now());
    }
    let tm = Tm::at(time.saturating_add(minutes_of(tz) * 60));
    let Tm {
        year,
        month,
        day,
        wday,
        hour: h,
        min: m,
        sec,
    } = tm;
    match mode.kind {
        DateKind::Short => format!("{year:04}-{month:02}-{day:02}"),
        DateKind::Iso => format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{sec:02} {tz:+05}"),
        DateKind::IsoStrict => {
            let zone = if tz == 0 {
                "Z".to_owned()
            } else {
                format!(
                    "{}{:02}:{:02}",
                    if tz >= 0 { '+' } else { '-' },
                    tz.abs() / 100,
                    tz.abs() % 100
                )
            };
            format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}{zone}")
        }
        DateKind::Rfc => format!(
            "{}, {day} {} {year} {h:02}:{m:02}:{sec:02} {tz:+05}",
            WEEKDAYS[wday],
            MONTHS[month - 1]
        ),
        _ => normal(time, &tm, tz, human, mode.local),
    }
}

/// A broken-down time.
#[derive(Clone, Copy)]
struct Tm {
    year: i64,
    month: usize,
    day: i64,
    wday: usize,
    hour: i64,
    min: i64,
    sec: i64,
}

impl Tm {
    fn at(t: i64) -> Tm {
        let (year, month, day, wday, hour, min, sec) = civil(t);
        Tm {
            year,
            month,
            day,
            wday,
            hour,
            min,
            sec,
        }
    }
}

/// git's `show_date_normal` (`default`, and `human` against now).
fn normal(time: i64, tm: &Tm, tz: i32, human: Option<(Tm, i32)>, local: bool) -> String {
    let mut hide_tz = local || human.is_some_and(|(_, htz)| htz == tz);
    let (mut hide_year, mut hide_date, mut hide_wday, mut hide_time, mut hide_seconds) =
        (false, false, false, false, false);
    if let Some((htm, _)) = &human {
        hide_year = tm.year == htm.year;
        if hide_year && tm.month == htm.month {
            if tm.day > htm.day {
                // A future date: think of zones.
            } else if tm.day == htm.day {
                hide_date = true;
                hide_wday = true;
            } else if tm.day + 5 > htm.day {
                hide_date = true;
            }
        }
        if hide_wday {
            return relative(time, now());
        }
        hide_seconds = true;
        hide_tz |= !hide_date;
        hide_wday = !hide_year;
        hide_time = !hide_year;
    }
    let mut out = String::new();
    if !hide_wday {
        out.push_str(WEEKDAYS[tm.wday]);
        out.push(' ');
    }
    if !hide_date {
        let _ = write!(out, "{} {} ", MONTHS[tm.month - 1], tm.day);
    }
    if hide_time {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
    } else {
        let _ = write!(out, "{:02}:{:02}", tm.hour, tm.min);
        if !hide_seconds {
            let _ = write!(out, ":{:02}", tm.sec);
        }
    }
    if !hide_year {
        let _ = write!(out, " {}", tm.year);
    }
    if !hide_tz {
        let _ = write!(out, " {tz:+05}");
    }
    out
}

/// git's `show_date_relative`.
pub fn relative(time: i64, now: i64) -> String {
    if now < time {
        return "in the future".into();
    }
    // In i128: no step can overflow, whatever the commit says.
    let (time, now) = (i128::from(time), i128::from(now));
    let plural = |n: i128, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut diff = now - time;
    if diff < 90 {
        return plural(diff, "second ago", "seconds ago");
    }
    diff = (diff + 30) / 60;
    if diff < 90 {
        return plural(diff, "minute ago", "minutes ago");
    }
    diff = (diff + 30) / 60;
    if diff < 36 {
        return plural(diff, "hour ago", "hours ago");
    }
    diff = (diff + 12) / 24;
    if diff < 14 {
        return plural(diff, "day ago", "days ago");
    }
    if diff < 70 {
        return plural((diff + 3) / 7, "week ago", "weeks ago");
    }
    if diff < 365 {
        return plural((diff + 15) / 30, "month ago", "months ago");
    }
    if diff < 1825 {
        let total_months = (diff * 12 * 2 + 365) / (365 * 2);
        let (years, months) = (total_months / 12, total_months % 12);
        if months > 0 {
            let y = plural(years, "year", "years");
            return if months == 1 {
                format!("{y}, {months} month ago")
            } else {
                format!("{y}, {months} months ago")
            };
        }
        return plural(years, "year ago", "years ago");
    }
    plural((diff + 183) / 365, "year ago", "years ago")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates_as_git_words_them() {
        let now = 1_700_000_000;
        assert_eq!(relative(now - 1, now), "1 second ago");
        assert_eq!(relative(now - 89, now), "89 seconds ago");
        assert_eq!(relative(now - 90, now), "2 minutes ago");
        assert_eq!(relative(now - 3600 * 30, now), "30 hours ago");
        assert_eq!(relative(now - 86_400 * 10, now), "10 days ago");
        assert_eq!(relative(now - 86_400 * 400, now), "1 year, 1 month ago");
        assert_eq!(relative(now - 86_400 * 3000, now), "8 years ago");
        assert_eq!(relative(now + 5, now), "in the future");
    }

    #[test]
    fn modes_parse_as_git_parses_them() {
        assert_eq!(
            DateMode::parse("local"),
            Ok(DateMode {
                kind: DateKind::Default,
                local: true
            })
        );
        assert_eq!(
            DateMode::parse("iso-local"),
            Ok(DateMode {
                kind: DateKind::Iso,
                local: true
            })
        );
        assert_eq!(
            DateMode::parse("iso8601-strict"),
            Ok(DateMode::of(DateKind::IsoStrict))
        );
        assert!(DateMode::parse("isox").is_err());
        assert!(DateMode::parse("bogus").is_err());
    }
}
