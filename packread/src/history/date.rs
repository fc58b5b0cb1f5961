//! git's date parsing for `--since`, `--until`, `--before` and `--after`
//! (`approxidate` in git's `date.c`): the strict formats first (ISO 8601,
//! RFC 2822, `@<seconds>`, git's own `<seconds> <zone>`), then the fuzzy
//! ones (`yesterday`, `3.days.ago`, `last friday`, `noon`, a date without
//! a time, which takes the current time of day). Dates without a zone are
//! read in the local time zone, as git reads them.

use jiff::tz::TimeZone;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sundays",
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
];
/// git's zone names: (name, hours east of UTC, summer time).
const ZONES: &[(&str, i32, i32)] = &[
    ("IDLW", -12, 0),
    ("NT", -11, 0),
    ("CAT", -10, 0),
    ("HST", -10, 0),
    ("HDT", -10, 1),
    ("YST", -9, 0),
    ("YDT", -9, 1),
    ("PST", -8, 0),
    ("PDT", -8, 1),
    ("MST", -7, 0),
    ("MDT", -7, 1),
    ("CST", -6, 0),
    ("CDT", -6, 1),
    ("EST", -5, 0),
    ("EDT", -5, 1),
    ("AST", -3, 0),
    ("ADT", -3, 1),
    ("WAT", -1, 0),
    ("GMT", 0, 0),
    ("UTC", 0, 0),
    ("Z", 0, 0),
    ("WET", 0, 0),
    ("BST", 0, 1),
    ("CET", 1, 0),
    ("MET", 1, 0),
    ("MEWT", 1, 0),
    ("MEST", 1, 1),
    ("CEST", 1, 1),
    ("MESZ", 1, 1),
    ("FWT", 1, 0),
    ("FST", 1, 1),
    ("EET", 2, 0),
    ("EEST", 2, 1),
    ("WAST", 7, 0),
    ("WADT", 7, 1),
    ("CCT", 8, 0),
    ("JST", 9, 0),
    ("EAST", 10, 0),
    ("EADT", 10, 1),
    ("GST", 10, 0),
    ("NZT", 12, 0),
    ("NZST", 12, 0),
    ("NZDT", 12, 1),
    ("IDLE", 12, 0),
];

/// C's `struct tm`, with -1 for a field not known yet.
#[derive(Clone, Copy, Debug)]
struct Tm {
    /// Years since 1900.
    year: i64,
    /// 0-11.
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    wday: i64,
    /// Summer time: 1, 0, or -1 for "find out" (C's `tm_isdst`).
    isdst: i8,
}

const UNSET: Tm = Tm {
    year: -1,
    mon: -1,
    mday: -1,
    hour: -1,
    min: -1,
    sec: -1,
    wday: 0,
    isdst: -1,
};

/// The broken-down time of `t` in `tz` (C's `localtime_r`/`gmtime_r`).
fn broken_down(t: i64, tz: &TimeZone) -> Option<Tm> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    let dt = tz.to_datetime(ts);
    Some(Tm {
        year: i64::from(dt.year()) - 1900,
        mon: i64::from(dt.month()) - 1,
        mday: i64::from(dt.day()),
        hour: i64::from(dt.hour()),
        min: i64::from(dt.minute()),
        sec: i64::from(dt.second()),
        wday: i64::from(dt.weekday().to_sunday_zero_offset()),
        isdst: i8::from(tz.to_offset_info(ts).dst().is_dst()),
    })
}

/// C's `mktime`: `tm` read in `tz`, out-of-range fields carried over.
fn mktime(tm: &Tm, tz: &TimeZone) -> Option<i64> {
    let months = (tm.year + 1900) * 12 + tm.mon;
    let year = i16::try_from(months.div_euclid(12)).ok()?;
    let month = i8::try_from(months.rem_euclid(12) + 1).ok()?;
    let first = jiff::civil::Date::new(year, month, 1).ok()?;
    let seconds = ((tm.mday - 1) * 24 + tm.hour) * 3600 + tm.min * 60 + tm.sec;
    let dt = first
        .to_datetime(jiff::civil::Time::midnight())
        .checked_add(jiff::Span::new().seconds(seconds))
        .ok()?;
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    // A summer-time flag that disagrees with the zone at that time shifts
    // the result by the difference, as glibc's mktime does.
    let actual = tz.to_offset_info(ts).dst().is_dst();
    let shift = match (tm.isdst, actual) {
        (0, true) => 3600,
        (1, false) => -3600,
        _ => 0,
    };
    Some(ts.as_second() + shift)
}

/// git's `tm_to_time_t`: `tm` as UTC, for 1970-2099 only.
fn tm_to_time_t(tm: &Tm) -> Option<i64> {
    const MDAYS: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let year = tm.year - 70;
    let month = tm.mon;
    let mut day = tm.mday;
    if !(0..=129).contains(&year) || !(0..=11).contains(&month) {
        return None;
    }
    if month < 2 || (year + 2) % 4 != 0 {
        day -= 1;
    }
    if tm.hour < 0 || tm.min < 0 || tm.sec < 0 {
        return None;
    }
    Some(
        (year * 365 + (year + 1) / 4 + MDAYS[usize::try_from(month).ok()?] + day) * 86_400
            + tm.hour * 3600
            + tm.min * 60
            + tm.sec,
    )
}

/// git's `match_string`: how many leading bytes of `date` match `word`
/// (ignoring case), stopping at the first non-alphanumeric; 0 on a
/// mismatch.
fn match_string(date: &[u8], word: &str) -> usize {
    let word = word.as_bytes();
    let mut i = 0;
    while i < date.len() {
        let w = word.get(i).copied().unwrap_or(0);
        if date[i] == w || date[i].eq_ignore_ascii_case(&w) {
            i += 1;
            continue;
        }
        if !date[i].is_ascii_alphanumeric() {
            break;
        }
        return 0;
    }
    i
}

/// `strtoul`-like: the number at the start of `s` and how many digits.
fn number(s: &[u8]) -> (i64, usize) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut v: i64 = 0;
    for &b in &s[..n] {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    (v, n)
}

/// The parsing state of `parse_date_basic`.
struct Basic<'a> {
    tz: &'a TimeZone,
    now: i64,
    tm: Tm,
    offset: Option<i64>,
    gmt: bool,
}

fn nodate(tm: &Tm) -> bool {
    (tm.year & tm.mon & tm.mday & tm.hour & tm.min & tm.sec) < 0
}

fn set_time(hour: i64, min: i64, sec: i64, tm: &mut Tm) -> bool {
    if (0..=24).contains(&hour) && (0..60).contains(&min) && (0..=60).contains(&sec) {
        tm.hour = hour;
        tm.min = min;
        tm.sec = sec;
        return true;
    }
    false
}

/// git's `set_date`; `refuse_future`: the current UTC time, to refuse dates
/// more than ten days ahead.
fn set_date(
    year: i64,
    month: i64,
    day: i64,
    refuse_future: Option<(&Tm, i64)>,
    tm: &mut Tm,
) -> bool {
    if !(month > 0 && month < 13 && day > 0 && day < 32) {
        return false;
    }
    let mut r = *tm;
    r.mon = month - 1;
    r.mday = day;
    if year == -1 {
        match refuse_future {
            None => return false,
            Some((now_tm, _)) => r.year = now_tm.year,
        }
    } else if (1970..2100).contains(&year) {
        r.year = year - 1900;
    } else if year > 70 && year < 100 {
        r.year = year;
    } else if year < 38 {
        r.year = year + 100;
    } else {
        return false;
    }
    match refuse_future {
        None => {
            *tm = r;
            true
        }
        Some((_, now)) => {
            if tm_to_time_t(&r).is_some_and(|specified| now + 10 * 86_400 < specified) {
                return false;
            }
            tm.mon = r.mon;
            tm.mday = r.mday;
            if year != -1 {
                tm.year = r.year;
            }
            true
        }
    }
}

/// git's `match_multi_number`: `num` then `c` (one of `:-/.`) at `date[at]`.
fn match_multi_number(num: i64, c: u8, date: &[u8], at: usize, tm: &mut Tm, now: i64) -> usize {
    let (num2, n2) = number(&date[at + 1..]);
    let mut end = at + 1 + n2;
    let mut num3 = -1;
    if date.get(end) == Some(&c) && date.get(end + 1).is_some_and(u8::is_ascii_digit) {
        let (v, n3) = number(&date[end + 1..]);
        num3 = v;
        end += 1 + n3;
    }
    if c == b':' {
        if num3 < 0 {
            num3 = 0;
        }
        if !set_time(num, num2, num3, tm) {
            return 0;
        }
        if date.get(end) == Some(&b'.')
            && date.get(end + 1).is_some_and(u8::is_ascii_digit)
            && tm.year != -1
            && tm.mon != -1
            && tm.mday != -1
        {
            end += 1 + number(&date[end + 1..]).1;
        }
        return end;
    }
    let now_tm = broken_down(now, &TimeZone::UTC);
    let refuse = now_tm.as_ref().map(|t| (t, now));
    let done = (num > 70
        && (set_date(num, num2, num3, None, tm) || set_date(num, num3, num2, None, tm)))
        || (c != b'.' && set_date(num3, num, num2, refuse, tm))
        || set_date(num3, num2, num, refuse, tm)
        || (c == b'.' && set_date(num3, num, num2, refuse, tm));
    if done { end } else { 0 }
}

impl Basic<'_> {
    /// git's `match_alpha`.
    fn alpha(&mut self, date: &[u8]) -> usize {
        for (i, m) in (0i64..).zip(MONTHS) {
            let n = match_string(date, m);
            if n >= 3 {
                self.tm.mon = i;
                return n;
            }
        }
        for (i, d) in (0i64..).zip(WEEKDAYS) {
            let n = match_string(date, d);
            if n >= 3 {
                self.tm.wday = i;
                return n;
            }
        }
        for &(name, off, dst) in ZONES {
            let n = match_string(date, name);
            if n >= 3 || n == name.len() {
                if self.offset.is_none() {
                    self.offset = Some(60 * i64::from(off + dst));
                }
                return n;
            }
        }
        if match_string(date, "PM") == 2 {
            self.tm.hour = self.tm.hour % 12 + 12;
            return 2;
        }
        if match_string(date, "AM") == 2 {
            self.tm.hour %= 12;
            return 2;
        }
        if date[0] == b'T' && date.get(1).is_some_and(u8::is_ascii_digit) && self.tm.hour == -1 {
            self.tm.min = 0;
            self.tm.sec = 0;
            return 1;
        }
        1 + date[1..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count()
    }

    /// git's `match_digit`.
    fn digit(&mut self, date: &[u8]) -> usize {
        let (num, n) = number(date);
        if num >= 100_000_000
            && nodate(&self.tm)
            && let Some(tm) = broken_down(num, &TimeZone::UTC)
        {
            self.tm = tm;
            self.gmt = true;
            return n;
        }
        if let Some(&c) = date.get(n)
            && matches!(c, b':' | b'.' | b'/' | b'-')
            && date.get(n + 1).is_some_and(u8::is_ascii_digit)
        {
            let m = match_multi_number(num, c, date, n, &mut self.tm, 0.max(self.now));
            if m > 0 {
                return m;
            }
        }
        if n == 8 || n == 6 {
            let (n1, n2, n3) = (num / 10_000, num % 10_000 / 100, num % 100);
            let mut end = n;
            if n == 8 {
                set_date(n1, n2, n3, None, &mut self.tm);
            } else if set_time(n1, n2, n3, &mut self.tm)
                && date.get(end) == Some(&b'.')
                && date.get(end + 1).is_some_and(u8::is_ascii_digit)
            {
                end += 1 + number(&date[end + 1..]).1;
            }
            return end;
        }
        // Reduced ISO 8601 time (after a `T`): HHMM or HH.
        if self.tm.hour == -1 && self.tm.min == 0 && self.tm.sec == 0 {
            let (h, m) = if n == 4 {
                (num / 100, num % 100)
            } else {
                (num, 0)
            };
            if (n == 4 || n == 2) && !nodate(&self.tm) && set_time(h, m, 0, &mut self.tm) {
                return n;
            }
            self.tm.min = -1;
            self.tm.sec = -1;
        }
        if n == 4 {
            if num <= 1400 && self.offset.is_none() {
                self.offset = Some(num / 100 * 60 + num % 100);
            } else if num > 1900 && num < 2100 {
                self.tm.year = num - 1900;
            }
            return n;
        }
        if n > 2 {
            return n;
        }
        if num > 0 && num < 32 && self.tm.mday < 0 {
            self.tm.mday = num;
            return n;
        }
        if n == 2 && self.tm.year < 0 {
            if num < 10 && self.tm.mday >= 0 {
                self.tm.year = num + 100;
                return n;
            }
            if num >= 70 {
                self.tm.year = num;
                return n;
            }
        }
        if num > 0 && num < 13 && self.tm.mon < 0 {
            self.tm.mon = num - 1;
        }
        n
    }
}

/// git's `match_tz`: `[+-]hhmm`, `[+-]hh` or `[+-]hh:mm`.
fn match_tz(date: &[u8], offset: &mut Option<i64>) -> usize {
    let (mut hour, n) = number(&date[1..]);
    let mut end = 1 + n;
    let mut min = 0;
    if n == 4 {
        min = hour % 100;
        hour /= 100;
    } else if n != 2 {
        min = 99;
    } else if date.get(end) == Some(&b':') {
        let (m, k) = number(&date[end + 1..]);
        min = m;
        end += 1 + k;
        if end - 1 != 5 {
            min = 99;
        }
    }
    if min < 60 && hour < 24 {
        let o = hour * 60 + min;
        *offset = Some(if date[0] == b'-' { -o } else { o });
    }
    end
}

/// git's `match_object_header_date`: `<seconds> <+-hhmm>` and nothing else.
fn object_header_date(date: &[u8]) -> Option<i64> {
    let (stamp, n) = number(date);
    if n == 0 || date.get(n) != Some(&b' ') || !matches!(date.get(n + 1), Some(b'+' | b'-')) {
        return None;
    }
    let zone = &date[n + 2..];
    let (_, k) = number(zone);
    if k != 4 || !matches!(zone.get(4), None | Some(b'\n')) {
        return None;
    }
    Some(stamp)
}

/// git's `parse_date_basic`: the strict formats.
fn parse_date_basic(date: &[u8], now: i64, tz: &TimeZone) -> Option<i64> {
    if let Some(rest) = date.strip_prefix(b"@")
        && let Some(stamp) = object_header_date(rest)
    {
        return Some(stamp);
    }
    let mut b = Basic {
        tz,
        now,
        tm: UNSET,
        offset: None,
        gmt: false,
    };
    let mut i = 0;
    while i < date.len() && date[i] != b'\n' {
        let c = date[i];
        let rest = &date[i..];
        let taken = if c.is_ascii_alphabetic() {
            b.alpha(rest)
        } else if c.is_ascii_digit() {
            b.digit(rest)
        } else if (c == b'-' || c == b'+') && rest.get(1).is_some_and(u8::is_ascii_digit) {
            match_tz(rest, &mut b.offset)
        } else {
            0
        };
        i += taken.max(1);
    }
    let mut timestamp = tm_to_time_t(&b.tm)?;
    let offset = if let Some(o) = b.offset {
        o
    } else {
        let local = mktime(&Tm { isdst: -1, ..b.tm }, b.tz)?;
        (timestamp - local).div_euclid(60)
    };
    if !b.gmt {
        timestamp -= offset * 60;
    }
    Some(timestamp)
}

/// The fuzzy parser's state (`approxidate_str`).
struct Fuzzy<'a> {
    tz: &'a TimeZone,
    tm: Tm,
    now: Tm,
    num: i64,
    touched: bool,
}

impl Fuzzy<'_> {
    /// git's `update_tm`: unset date fields from now, then `sec` earlier.
    fn update(&mut self, sec: i64) -> i64 {
        if self.tm.mday < 0 {
            self.tm.mday = self.now.mday;
        }
        if self.tm.mon < 0 {
            self.tm.mon = self.now.mon;
        }
        if self.tm.year < 0 {
            self.tm.year = self.now.year;
            if self.tm.mon > self.now.mon {
                self.tm.year -= 1;
            }
        }
        let n = mktime(&self.tm, self.tz).unwrap_or(0) - sec;
        if let Some(tm) = broken_down(n, self.tz) {
            self.tm = tm;
        }
        n
    }

    /// git's `pending_number`: a number not yet used is a day, a month or
    /// a year.
    fn pending(&mut self) {
        let n = self.num;
        if n == 0 {
            return;
        }
        self.num = 0;
        if self.tm.mday < 0 && n < 32 {
            self.tm.mday = n;
        } else if self.tm.mon < 0 && n < 13 {
            self.tm.mon = n - 1;
        } else if self.tm.year < 0 {
            if n > 1969 && n < 2100 {
                self.tm.year = n - 1900;
            } else if n > 69 && n < 100 {
                self.tm.year = n;
            } else if n < 38 {
                self.tm.year = 100 + n;
            }
        }
    }

    fn at_hour(&mut self, hour: i64) {
        if self.tm.hour < hour {
            self.update(86_400);
        }
        self.tm.hour = hour;
        self.tm.min = 0;
        self.tm.sec = 0;
    }

    fn am_pm(&mut self, pm: bool) {
        let mut hour = self.tm.hour;
        if self.num != 0 {
            hour = self.num;
            self.tm.min = 0;
            self.tm.sec = 0;
        }
        self.num = 0;
        self.tm.hour = hour % 12 + if pm { 12 } else { 0 };
    }

    /// git's special words (`yesterday`, `noon`, `midnight`, `tea`, `PM`,
    /// `AM`, `never`, `now`): whether `date` starts with one.
    fn special(&mut self, date: &[u8]) -> bool {
        let special = [
            "yesterday",
            "noon",
            "midnight",
            "tea",
            "PM",
            "AM",
            "never",
            "now",
        ];
        for word in special {
            if match_string(date, word) == word.len() {
                match word {
                    "yesterday" => {
                        self.num = 0;
                        self.update(86_400);
                    }
                    "noon" => {
                        self.pending();
                        self.at_hour(12);
                    }
                    "midnight" => {
                        self.pending();
                        self.at_hour(0);
                    }
                    "tea" => {
                        self.pending();
                        self.at_hour(17);
                    }
                    "PM" => self.am_pm(true),
                    "AM" => self.am_pm(false),
                    "never" => {
                        if let Some(tm) = broken_down(0, self.tz) {
                            self.tm = tm;
                        }
                        self.num = 0;
                    }
                    _ => {
                        self.num = 0;
                        self.update(0);
                    }
                }
                return true;
            }
        }
        false
    }

    /// git's `approxidate_alpha`; how many bytes it took.
    fn alpha(&mut self, date: &[u8]) -> usize {
        let end = 1 + date[1..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        for (i, m) in (0i64..).zip(MONTHS) {
            if match_string(date, m) >= 3 {
                self.tm.mon = i;
                self.touched = true;
                return end;
            }
        }
        if self.special(date) {
            self.touched = true;
            return end;
        }
        if self.num == 0 {
            let names = [
                "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            ];
            for (i, name) in (0i64..).zip(names) {
                if match_string(date, name) == name.len() {
                    self.num = i + 1;
                    self.touched = true;
                    return end;
                }
            }
            if match_string(date, "last") == 4 {
                self.num = 1;
                self.touched = true;
            }
            return end;
        }
        for (unit, len) in [
            ("seconds", 1),
            ("minutes", 60),
            ("hours", 3600),
            ("days", 86_400),
            ("weeks", 7 * 86_400),
        ] {
            if match_string(date, unit) >= unit.len() - 1 {
                self.update(len * self.num);
                self.num = 0;
                self.touched = true;
                return end;
            }
        }
        for (i, d) in (0i64..).zip(WEEKDAYS) {
            if match_string(date, d) >= 3 {
                let mut n = self.num - 1;
                self.num = 0;
                let mut diff = self.tm.wday - i;
                if diff <= 0 {
                    n += 1;
                }
                diff += 7 * n;
                self.update(diff * 86_400);
                self.touched = true;
                return end;
            }
        }
        if match_string(date, "months") >= 5 {
            self.update(0);
            let mut n = self.tm.mon - self.num;
            self.num = 0;
            while n < 0 {
                n += 12;
                self.tm.year -= 1;
            }
            self.tm.mon = n;
            self.touched = true;
            return end;
        }
        if match_string(date, "years") >= 4 {
            self.update(0);
            self.tm.year -= self.num;
            self.num = 0;
            self.touched = true;
        }
        end
    }

    /// git's `approxidate_digit`.
    fn digit(&mut self, date: &[u8], now: i64) -> usize {
        let (number_value, n) = number(date);
        if let Some(&c) = date.get(n)
            && matches!(c, b':' | b'.' | b'/' | b'-')
            && date.get(n + 1).is_some_and(u8::is_ascii_digit)
        {
            let m = match_multi_number(number_value, c, date, n, &mut self.tm, now);
            if m > 0 {
                return m;
            }
        }
        if date[0] != b'0' || n <= 2 {
            self.num = number_value;
        }
        n
    }
}

/// git's `approxidate`: the seconds since the epoch that `date` names, read
/// at time `now` in time zone `tz` (as `git log --since` reads it; what it
/// can't read is the current time).
///
/// ```
/// use packread::history::approxidate;
/// let utc = jiff::tz::TimeZone::UTC;
/// let now = 1_700_000_000; // 2023-11-14 22:13:20 UTC
/// assert_eq!(approxidate("2023-11-14 12:00:00 +0100", now, &utc), 1_699_959_600);
/// assert_eq!(approxidate("@1600000000", now, &utc), 1_600_000_000);
/// assert_eq!(approxidate("3.days.ago", now, &utc), now - 3 * 86_400);
/// assert_eq!(approxidate("yesterday", now, &utc), now - 86_400);
/// ```
pub fn approxidate(date: &str, now: i64, tz: &TimeZone) -> i64 {
    let bytes = date.as_bytes();
    if let Some(t) = parse_date_basic(bytes, now, tz) {
        return t;
    }
    let Some(tm) = broken_down(now, tz) else {
        return now;
    };
    let mut f = Fuzzy {
        tz,
        tm: Tm {
            year: -1,
            mon: -1,
            mday: -1,
            ..tm
        },
        now: tm,
        num: 0,
        touched: false,
    };
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            f.pending();
            i += f.digit(&bytes[i..], now);
            f.touched = true;
            continue;
        }
        if c.is_ascii_alphabetic() {
            i += f.alpha(&bytes[i..]);
            continue;
        }
        i += 1;
    }
    f.pending();
    f.update(0)
}
