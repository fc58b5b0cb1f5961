//! git-style progress on stderr (`Checking objects:  45% (153/340)`), shown
//! only when stderr is a terminal so that output stays byte-identical otherwise.

use std::io::Write;
use std::time::{Duration, Instant};

pub struct Progress {
    title: &'static str,
    total: u64,
    done: u64,
    enabled: bool,
    last: Option<Instant>,
    last_percent: u64,
}

impl Progress {
    pub fn new(title: &'static str, total: u64, enabled: bool) -> Progress {
        Progress {
            title,
            total,
            done: 0,
            enabled,
            last: None,
            last_percent: u64::MAX,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn tick(&mut self, n: u64) {
        self.done += n;
        if !self.enabled {
            return;
        }
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(0);
        let due = self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if (percent != self.last_percent || self.total == 0) && due {
            self.last_percent = percent;
            self.last = Some(Instant::now());
            let mut err = std::io::stderr().lock();
            if self.total == 0 {
                let _ = write!(err, "\r{}: {}", self.title, self.done);
            } else {
                let _ = write!(
                    err,
                    "\r{}: {:3}% ({}/{})",
                    self.title, percent, self.done, self.total
                );
            }
            let _ = err.flush();
        }
    }

    pub fn set(&mut self, done: u64) {
        let n = done.saturating_sub(self.done);
        self.tick(n);
    }

    pub fn finish(&mut self) {
        if self.enabled {
            if self.total == 0 {
                eprintln!("\r{}: {}, done.", self.title, self.done);
            } else {
                let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
                eprintln!(
                    "\r{}: {:3}% ({}/{}), done.",
                    self.title, percent, self.done, self.total
                );
            }
            self.enabled = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.enabled && self.last.is_some() {
            eprintln!();
        }
    }
}
