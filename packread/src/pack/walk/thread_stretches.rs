//! Work over a pack's entries split into contiguous stretches, one thread
//! each: how the delta tree and the headers pass read every entry header.

use crate::error::Error;

/// Runs `each` on `threads` contiguous stretches of `out` at once, each
/// thread filling its own stretch (given with the position of its first
/// element) and the same stretch of `more` (which is empty, or as long as
/// `out`: then its stretches are empty); returns what each returned, in
/// order, or the error of the first stretch that failed.
///
/// The results are written in place: nothing the size of the pack is
/// gathered per thread and then copied.
pub(crate) fn fill_in_stretches<A: Send, B: Send, R: Send>(
    out: &mut [A],
    more: &mut [B],
    threads: usize,
    each: impl Fn(usize, &mut [A], &mut [B]) -> Result<R, Error> + Sync,
) -> Result<Vec<R>, Error> {
    let n = out.len();
    debug_assert!(more.is_empty() || more.len() == n);
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let each = &each;
    let mut more_parts: Vec<&mut [B]> = if more.is_empty() {
        Vec::new()
    } else {
        more.chunks_mut(chunk).collect()
    };
    more_parts.reverse();
    let parts: Vec<Result<R, Error>> = std::thread::scope(|s| {
        let workers: Vec<_> = out
            .chunks_mut(chunk)
            .enumerate()
            .map(|(k, part)| {
                let more = more_parts.pop().unwrap_or_default();
                s.spawn(move || each(k * chunk, part, more))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("header readers don't panic"))
            .collect()
    });
    parts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_filled_once_in_order() {
        for (n, threads) in [(0, 2), (1, 2), (7, 2), (10, 3), (1000, 7), (5, 8)] {
            let mut out = vec![usize::MAX; n];
            let mut more = vec![0u8; n];
            let starts = fill_in_stretches(&mut out, &mut more, threads, |start, part, more| {
                assert_eq!(part.len(), more.len());
                for (k, (o, m)) in part.iter_mut().zip(more.iter_mut()).enumerate() {
                    *o = start + k;
                    *m = 1;
                }
                Ok(start)
            })
            .unwrap();
            assert_eq!(out, (0..n).collect::<Vec<_>>());
            assert!(more.iter().all(|&m| m == 1));
            assert!(starts.windows(2).all(|w| w[0] < w[1]));
            let mut lone = vec![0u32; n];
            fill_in_stretches(&mut lone, &mut [] as &mut [()], threads, |_, part, more| {
                assert!(more.is_empty());
                part.fill(1);
                Ok(())
            })
            .unwrap();
            assert!(lone.iter().all(|&x| x == 1));
        }
    }

    #[test]
    fn the_first_failing_stretch_gives_the_error() {
        let mut out = vec![0u8; 100];
        let e = fill_in_stretches(&mut out, &mut [] as &mut [()], 4, |start, _, _| {
            if start >= 50 {
                Err(Error::Io {
                    path: start.to_string().into(),
                    source: std::io::Error::other("x"),
                })
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        let Error::Io { path, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(path.to_str(), Some("50"));
    }
}
