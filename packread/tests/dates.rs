//! `--since`/`--until` dates read as git reads them: every string against
//! `git rev-parse --since=<date>` (which prints what git's `approxidate`
//! made of it), at a fixed "now" (`GIT_TEST_DATE_NOW`) in three time zones.

use jiff::tz::TimeZone;
use packread::history::approxidate;
use testkit::git;

const NOW: i64 = 1_700_000_000; // Tue 2023-11-14 22:13:20 UTC

const DATES: &[&str] = &[
    "2023-11-14",
    "2023-11-14 12:00",
    "2023-11-14 12:00:30",
    "2023-11-14T12:00:30",
    "2023-11-14T12:00:30Z",
    "2023-11-14 12:00:30 +0530",
    "2023-11-14 12:00:30 -07:00",
    "2023-11-14 12:00 CEST",
    "20231114T1200",
    "20231114",
    "2023.11.14",
    "14.11.2023",
    "11/14/2023",
    "14/11/2023",
    "11/14/23",
    "2023-13-01",
    "Tue, 14 Nov 2023 22:13:20 +0100",
    "Nov 14 2023",
    "Nov 14",
    "14 Nov",
    "December 2022",
    "1700000000",
    "@1700000000",
    "@1600000000 +0200",
    "2 weeks ago",
    "2.weeks.ago",
    "3.days.ago",
    "one hour ago",
    "ten minutes ago",
    "90 seconds ago",
    "3.months.ago",
    "13 months ago",
    "1 year ago",
    "yesterday",
    "yesterday noon",
    "last friday",
    "last tuesday",
    "2 sundays ago",
    "noon",
    "midnight",
    "tea",
    "5pm",
    "5 PM yesterday",
    "10am",
    "never",
    "now",
    "garbage",
    "",
    "2023-11-14 25:00",
];

const ZONES: &[&str] = &[
    "UTC0",
    "CET-1CEST,M3.5.0,M10.5.0/3",
    "EST5EDT,M3.2.0,M11.1.0",
];

#[test]
fn dates_are_read_as_git_reads_them() {
    let dir = testkit::fixture("make_walks.sh").join("none.git");
    let mut wrong = Vec::new();
    for zone in ZONES {
        let tz = TimeZone::posix(zone).expect("a POSIX TZ string");
        for date in DATES {
            let out = git(&dir)
                .args(["rev-parse", &format!("--since={date}")])
                .env("TZ", zone)
                .env("GIT_TEST_DATE_NOW", NOW.to_string())
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            let want: i64 = text
                .trim()
                .strip_prefix("--max-age=")
                .unwrap_or_else(|| panic!("git said {text:?} for {date:?}"))
                .parse()
                .unwrap();
            let got = approxidate(date, NOW, &tz);
            if got != want {
                wrong.push(format!("{date:?} in {zone}: git {want}, packread {got}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        DATES.len() * ZONES.len(),
        wrong.join("\n")
    );
}
