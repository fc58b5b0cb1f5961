//! Readers that run while git repacks the repository under them, as a
//! server or a long-lived `GitPython` process meets it: `repack -a -d` (which
//! writes a pack of the same name anew), `repack -a -d -f` (another pack),
//! `--write-midx`, `gc --prune=now`, in a loop. Every object is reachable, so
//! every answer must be git's answer before the loop; git itself is run
//! beside packread, so that a failure of the test's own setup shows as
//! git's failure. `tests/stress/repack-under-readers.sh` runs the same for
//! longer, on a repository of your choice.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use packread::{ObjectId, OpenOptions};
use testkit::{GitObject, copy_repo, fixture, git, git_objects, git_out};

/// How long readers and repacks run beside each other.
const RUN: Duration = Duration::from_secs(6);

/// A writable copy of a history of 340 loose objects (the first `gc` packs
/// them and deletes the loose files under the readers).
fn repository(name: &str) -> PathBuf {
    let repo = copy_repo(&fixture("make_history.sh").join("base/.git"), name);
    git_out(&repo, &["config", "gc.auto", "0"]);
    repo
}

/// Repacks `repo` every way in turn until `stop` or the deadline (a reader
/// that panics never sets `stop`); returns how many times.
fn repack_until(repo: &Path, stop: &AtomicBool, deadline: Instant) -> usize {
    let ways: [&[&str]; 4] = [
        &["repack", "-a", "-d", "-q"],
        &["repack", "-a", "-d", "-q", "-f", "--depth=3"],
        &["repack", "-a", "-d", "-q", "--write-midx"],
        &["gc", "-q", "--prune=now"],
    ];
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline + RUN {
        let way = ways[n % ways.len()];
        let out = git(repo).args(way).output().unwrap();
        assert!(
            out.status.success(),
            "git {way:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    n
}

/// A reader: a command line that takes `cat-file` arguments after it.
struct Cli {
    name: &'static str,
    program: PathBuf,
    args: Vec<&'static str>,
}

impl Cli {
    fn all(repo: &Path) -> Vec<Cli> {
        let packread = PathBuf::from(env!("CARGO_BIN_EXE_packread"));
        let tiny = ["--window-size=4096", "--memory-limit=65536"];
        let with = |extra: &[&'static str]| {
            let mut args = vec!["-C", path_str(repo)];
            args.extend(extra);
            args
        };
        vec![
            Cli {
                name: "git",
                program: "git".into(),
                args: with(&[]),
            },
            Cli {
                name: "packread",
                program: packread.clone(),
                args: with(&[]),
            },
            Cli {
                name: "packread, 3 handles",
                program: packread.clone(),
                args: with(&[tiny[0], tiny[1], "--handle-limit=3"]),
            },
            Cli {
                name: "packread, 1 handle",
                program: packread,
                args: with(&[tiny[0], tiny[1], "--handle-limit=1"]),
            },
        ]
    }

    fn cat_file(&self, repo: &Path, mode: &str) -> std::process::Child {
        let mut cmd = if self.name == "git" {
            git(repo)
        } else {
            Command::new(&self.program)
        };
        cmd.args(&self.args)
            .args(["cat-file", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

fn path_str(p: &Path) -> &'static str {
    Box::leak(p.to_str().unwrap().to_owned().into_boxed_str())
}

/// Feeds `rounds` to the child's stdin (pausing between them), and returns
/// its exit status, stdout and stderr.
fn run(
    mut child: std::process::Child,
    rounds: &[Vec<u8>],
    pause: Duration,
) -> (bool, Vec<u8>, String) {
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).unwrap();
            out
        });
        let errors = s.spawn(move || {
            let mut err = String::new();
            stderr.read_to_string(&mut err).unwrap();
            err
        });
        for (i, round) in rounds.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(pause);
            }
            if stdin.write_all(round).is_err() {
                break;
            }
        }
        drop(stdin);
        let ok = child.wait().unwrap().success();
        (ok, reader.join().unwrap(), errors.join().unwrap())
    })
}

#[test]
fn cli_readers_answer_every_object_while_git_repacks() {
    let repo = repository("repack-cli");
    let objects = git_objects(&repo);
    let input: Vec<u8> = objects
        .iter()
        .flat_map(|o| format!("{}\n", o.id).into_bytes())
        .collect();
    let expected_check = git_out(&repo, &["cat-file", "--batch-all-objects", "--batch-check"]);
    let expected_batch = git_out(&repo, &["cat-file", "--batch-all-objects", "--batch"]);
    let readers = Cli::all(&repo);
    let stop = AtomicBool::new(false);
    let deadline = Instant::now() + RUN;
    let repacks = std::thread::scope(|s| {
        let repacker = s.spawn(|| repack_until(&repo, &stop, deadline));
        let mut loops = Vec::new();
        for cli in &readers {
            // Short-lived `--batch-check` runs, one after another.
            loops.push(s.spawn(|| {
                let (mut runs, mut failures) = (0, Vec::new());
                while Instant::now() < deadline {
                    let child = cli.cat_file(&repo, "--batch-check");
                    let (ok, out, err) = run(child, std::slice::from_ref(&input), Duration::ZERO);
                    runs += 1;
                    if !ok || out != expected_check {
                        failures.push(format!("{} --batch-check: {err}", cli.name));
                    }
                }
                (cli.name, runs, failures)
            }));
            // One long-lived `--batch` reading every object three times,
            // with pauses in which the repository is repacked.
            loops.push(s.spawn(|| {
                let rounds = vec![input.clone(); 3];
                let pause = RUN / 4;
                let (ok, out, err) = run(cli.cat_file(&repo, "--batch"), &rounds, pause);
                let want = expected_batch.repeat(3);
                let failures = if ok && out == want {
                    Vec::new()
                } else {
                    vec![format!("{} long-lived --batch: {err}", cli.name)]
                };
                (cli.name, 1, failures)
            }));
        }
        let results: Vec<_> = loops.into_iter().map(|h| h.join().unwrap()).collect();
        stop.store(true, Ordering::Relaxed);
        let repacks = repacker.join().unwrap();
        for (name, runs, failures) in results {
            assert!(runs > 0, "{name} never ran");
            assert!(
                failures.is_empty(),
                "{name}: {} of {runs} runs failed while git repacked; first: {}",
                failures.len(),
                failures[0]
            );
        }
        repacks
    });
    assert!(
        repacks >= 8,
        "only {repacks} repacks ran beside the readers"
    );
    std::fs::remove_dir_all(repo).unwrap();
}

/// One long-lived database and its readers, as a library user keeps them:
/// every read, by id, of an object that exists is answered with git's
/// bytes, whatever git moved where.
#[test]
fn library_readers_find_every_object_while_git_repacks() {
    let repo = repository("repack-lib");
    let objects = git_objects(&repo);
    let odb = OpenOptions::new()
        .window_size(4096)
        .max_memory(64 * 1024)
        // Each thread's reader pins up to three windows, and its stream one.
        .max_handles(8)
        .delta_base_cache_limit(16 * 1024)
        .open(&repo)
        .unwrap();
    let stop = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let deadline = Instant::now() + RUN;
    let check = |o: &GitObject, got: packread::Object| {
        assert_eq!(
            (got.kind, got.data.len()),
            (o.kind, o.data.len()),
            "{}",
            o.id
        );
        assert!(got.data == o.data, "{}: other bytes", o.id);
    };
    let repacks = std::thread::scope(|s| {
        let repacker = s.spawn(|| repack_until(&repo, &stop, deadline));
        let workers: Vec<_> = (0..2)
            .map(|t| {
                let (odb, objects, reads) = (odb.clone(), &objects, &reads);
                s.spawn(move || {
                    let mut reader = odb.reader();
                    let mut round = 0usize;
                    while Instant::now() < deadline {
                        for o in objects.iter().skip(t).step_by(2) {
                            let read = reader.read(&o.id);
                            check(o, read.unwrap_or_else(|e| panic!("{}: {e}", o.id)));
                            let h = reader.header(&o.id).unwrap();
                            assert_eq!((h.kind, h.size), (o.kind, o.size));
                            let mut stream = reader.stream(&o.id).unwrap();
                            let mut data = Vec::new();
                            stream.read_to_end(&mut data).unwrap();
                            assert!(data == o.data, "{}: streamed other bytes", o.id);
                            reads.fetch_add(1, Ordering::Relaxed);
                        }
                        round += 1;
                        // A pause, as a long-lived process has between
                        // requests, in which its idle windows are unloaded
                        // and their descriptors closed (as memory pressure
                        // does): the files are opened again after it. Every
                        // other round the reader is kept, its windows
                        // pinned (a deleted pack stays readable through
                        // them, as through git's open descriptors).
                        std::thread::sleep(Duration::from_millis(50 * (round % 3) as u64));
                        if round.is_multiple_of(2) {
                            drop(reader);
                            odb.manager().collect();
                            reader = odb.reader();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        repacker.join().unwrap()
    });
    assert!(
        repacks >= 8,
        "only {repacks} repacks ran beside the readers"
    );
    assert!(reads.load(Ordering::Relaxed) >= objects.len());
    // A location found before a repack is read where the object went.
    let id: ObjectId = objects[0].id;
    let mut reader = odb.reader();
    let loc = reader.locate(&id).unwrap().unwrap();
    git_out(&repo, &["repack", "-a", "-d", "-q", "-f", "--depth=1"]);
    git_out(&repo, &["gc", "-q", "--prune=now"]);
    let mut data = Vec::new();
    let kind = reader
        .relocating(&id, &loc, |r, at| r.read_location(at, &mut data))
        .unwrap();
    assert_eq!((kind, &data), (objects[0].kind, &objects[0].data));
    std::fs::remove_dir_all(repo).unwrap();
}
