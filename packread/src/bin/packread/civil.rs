//! Calendar dates of timestamps, for the dates git shows.

/// Year, month (1-12), day, weekday (0 = Sunday), hour, minute, second of
/// `t` seconds since the epoch (proleptic Gregorian, UTC).
pub fn civil(t: i64) -> (i64, usize, i64, usize, i64, i64, i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let wday = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
    (
        year,
        usize::try_from(month).unwrap_or(1),
        day,
        wday,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
    )
}
