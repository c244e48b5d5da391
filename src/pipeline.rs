//! Reader -> workers -> ordered writer.
//!
//! The reader (the calling thread) frames input into batches; `threads` workers anonymize batches
//! with their own scratch buffers; one writer thread owns the output and writes batches in input
//! order. Batches carry a sequence number, and at most `slots` batches exist at once: a batch's
//! buffers travel reader -> worker -> writer and back to the reader through a bounded channel,
//! which both recycles the buffers (no per-batch allocation once warm) and bounds memory whatever
//! a slow worker or a slow output does. The writer keeps out-of-order results in a ring indexed by
//! `seq % slots`, which cannot overflow because no more than `slots` batches are in flight.
//! With one thread the same stages run inline, without channels.
//!
//! Memory: a slot holds its input (one read, plus the unfinished line carried into it) and its
//! output (the input with a tag on each of at most `read / 64` lines: about 1.5 times the read).
//! Reads are 256 KiB while [`BATCH_MEMORY`] holds that many slots, and smaller with many threads,
//! down to 64 KiB, so that the buffers in flight stay near the same total whatever `--threads`
//! is (at most [`MAX_THREADS`]). A batch holding a line of up to `--max-line` bytes grows to hold
//! it, and its worker's per-line buffers grow several times over: so the reader also counts
//! what the batches in flight take and holds a batch back until it fits in [`BATCH_MEMORY`]; a
//! slot that grew is freed when it comes back, and so are a worker's per-line buffers after a
//! long line, handed back to the system when they exceed the worker's share of the budget
//! (`LineScratch::shrink_after`).
//!
//! Output is written a whole batch at a time and nothing is held back, so a line from a live pipe
//! reaches the output as soon as its batch is done. A closed output (`EPIPE`) ends the run
//! quietly; any other write error is returned.

use crate::framing::{Batch, Framer, READ_SIZE};
use crate::process::{Finding, LineScratch, Processor, Stats};
use crate::report::ReportWriter;
use crossbeam_channel::{Receiver, Sender, bounded};
use std::io::{self, ErrorKind, Read, Write};

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// All input was read and written.
    Complete,
    /// The output was closed by its reader (`EPIPE`): the run stopped early, quietly.
    OutputClosed,
}

/// Pipeline settings.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub threads: usize,
    pub max_line: usize,
}

/// Where results go: the anonymized lines, and the findings report if one was asked for.
pub struct Sinks<'a> {
    pub out: &'a mut (dyn Write + Send),
    pub report: Option<ReportWriter<'a>>,
}

/// What the batches in flight may take: their input and output, and for long lines the per-line
/// buffers of the workers processing them (see `charge`). Reads are sized to it, and the reader
/// holds back a batch that would go past it.
pub const BATCH_MEMORY: usize = 24 << 20;

/// The most worker threads. Each holds its own engine (about 250 KiB) and adds two batches in
/// flight, while a single reader and a single writer feed them all, which far fewer saturate.
pub const MAX_THREADS: usize = 64;

/// The smallest read: a pipe's default capacity.
const MIN_READ: usize = 64 * 1024;

/// The read size that keeps `slots` batches within [`BATCH_MEMORY`]; each holds about three reads.
fn read_size(slots: usize) -> usize {
    (BATCH_MEMORY / slots.max(1) / 3).clamp(MIN_READ, READ_SIZE)
}

/// The memory a batch of `len` input bytes is counted as while it is out: three times its input
/// (the input, and the output with its tags), or ten times if it grew past two reads to hold a
/// long line, whose worker's per-line buffers then take up to about eight times that line
/// (what [`LineScratch::shrink_after`] freed after lines of 1 and 4 MB of short logfmt pairs, the
/// costliest shape: the field list alone is about four times the line). Batches of short lines
/// keep the total at about [`BATCH_MEMORY`] by their number alone; a batch that would take it
/// past is held back until others come back.
fn charge(len: usize, read_size: usize) -> usize {
    if len > 2 * read_size { 10 * len } else { 3 * len }
}

/// One batch's buffers, recycled.
#[derive(Default)]
struct Slot {
    input: Batch,
    output: Vec<u8>,
    lines: u64,
    findings: Vec<Finding>,
    /// What the batch is counted as against [`BATCH_MEMORY`] while it is out (see [`charge`]).
    charge: usize,
}

impl Slot {
    /// Frees buffers that a batch of long lines made grow past four reads.
    fn fit(&mut self, read_size: usize) {
        self.input.fit(4 * read_size);
        if self.output.capacity() > 4 * read_size {
            self.output = Vec::new();
        }
    }
}

/// Anonymizes a batch into its output; returns the length of its longest line.
fn process_batch(p: &Processor, slot: &mut Slot, scratch: &mut LineScratch, stats: &mut Stats) -> usize {
    slot.output.clear();
    slot.lines = 0;
    let now = slot.input.now;
    let mut longest = 0;
    for (line, cut) in slot.input.lines() {
        scratch.line_no = slot.lines;
        p.line(line, cut, now, scratch, stats, &mut slot.output);
        slot.lines += 1;
        longest = longest.max(line.len());
    }
    slot.findings.clear();
    std::mem::swap(&mut slot.findings, &mut scratch.findings);
    longest
}

/// Writes a finished batch: its lines, then its findings. `false` if the output was closed.
fn deliver(sinks: &mut Sinks, slot: &Slot) -> io::Result<bool> {
    if let Some(report) = &mut sinks.report {
        report.batch(&slot.findings, slot.lines)?;
    }
    write_batch(sinks.out, &slot.output)
}

fn write_batch(out: &mut dyn Write, data: &[u8]) -> io::Result<bool> {
    match out.write_all(data) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

fn flush(out: &mut dyn Write) -> io::Result<bool> {
    match out.flush() {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs every source through the processor into `out`, in order. `clock` is read once per batch.
pub fn run(
    p: &Processor,
    sources: Vec<Box<dyn Read + Send>>,
    mut sinks: Sinks,
    settings: Settings,
    clock: &(dyn Fn() -> i64 + Sync),
) -> io::Result<(Ending, Stats)> {
    let result = if settings.threads <= 1 {
        run_inline(p, sources, &mut sinks, settings, clock)
    } else {
        run_parallel(p, sources, &mut sinks, settings, clock)
    };
    if let Some(report) = sinks.report {
        report.finish()?;
    }
    result
}

fn run_parallel(
    p: &Processor,
    sources: Vec<Box<dyn Read + Send>>,
    sinks: &mut Sinks,
    settings: Settings,
    clock: &(dyn Fn() -> i64 + Sync),
) -> io::Result<(Ending, Stats)> {
    let slots = settings.threads * 2 + 2;
    let (free_tx, free_rx) = bounded::<Slot>(slots);
    let (work_tx, work_rx) = bounded::<(u64, Slot)>(slots);
    let (done_tx, done_rx) = bounded::<(u64, Slot)>(slots);
    for _ in 0..slots {
        free_tx.send(Slot::default()).expect("receiver alive");
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..settings.threads)
            .map(|_| {
                let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
                scope.spawn(move || {
                    let mut scratch = LineScratch::default();
                    let mut stats = Stats::default();
                    for (seq, mut slot) in work_rx {
                        let longest = process_batch(p, &mut slot, &mut scratch, &mut stats);
                        scratch.shrink_after(longest, BATCH_MEMORY / settings.threads);
                        if done_tx.send((seq, slot)).is_err() {
                            break;
                        }
                    }
                    stats
                })
            })
            .collect();
        drop((work_rx, done_tx));
        let writer = scope.spawn(move || write_in_order(sinks, done_rx, free_tx, slots));
        let read_result = read_batches(sources, settings, read_size(slots), clock, &free_rx, &work_tx);
        drop(work_tx);
        let mut stats = Stats::default();
        for w in workers {
            stats.add(&w.join().expect("worker panicked"));
        }
        let ending = writer.join().expect("writer panicked")?;
        read_result?;
        Ok((ending, stats))
    })
}

/// The reader stage: fills free slots and sends them to the workers in sequence.
fn read_batches(
    sources: Vec<Box<dyn Read + Send>>,
    settings: Settings,
    read_size: usize,
    clock: &(dyn Fn() -> i64 + Sync),
    free_rx: &Receiver<Slot>,
    work_tx: &Sender<(u64, Slot)>,
) -> io::Result<()> {
    let mut seq = 0u64;
    let mut in_flight = 0;
    // Slots back from the writer but not yet filled. A source's end leaves one here for the next
    // source: dropped, it would be missing from the ring for good, and after `slots` sources none
    // would be left.
    let mut idle = Vec::new();
    // Takes the next slot the writer gives back, and its room. `None`: the writer stopped (a
    // closed output), and there is nothing more to do.
    let returned = |in_flight: &mut usize| {
        let mut slot: Slot = free_rx.recv().ok()?;
        *in_flight -= std::mem::take(&mut slot.charge);
        slot.fit(read_size);
        Some(slot)
    };
    for src in sources {
        let mut framer = Framer::new(src, settings.max_line, read_size);
        loop {
            let mut slot = match idle.pop() {
                Some(slot) => slot,
                None => match returned(&mut in_flight) {
                    Some(slot) => slot,
                    None => return Ok(()),
                },
            };
            if !framer.fill(&mut slot.input)? {
                idle.push(slot);
                break;
            }
            // Batches come back in order, so the room comes; one batch alone always fits.
            slot.charge = charge(slot.input.bytes().len(), read_size);
            while in_flight > 0 && in_flight + slot.charge > BATCH_MEMORY {
                match returned(&mut in_flight) {
                    Some(back) => idle.push(back),
                    None => return Ok(()),
                }
            }
            in_flight += slot.charge;
            slot.input.now = clock();
            if work_tx.send((seq, slot)).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    }
    Ok(())
}

/// The writer stage: restores input order and returns each slot to the reader.
fn write_in_order(
    sinks: &mut Sinks,
    done_rx: Receiver<(u64, Slot)>,
    free_tx: Sender<Slot>,
    slots: usize,
) -> io::Result<Ending> {
    let mut ring: Vec<Option<Slot>> = (0..slots).map(|_| None).collect();
    let mut next = 0u64;
    for (seq, slot) in done_rx.iter() {
        ring[(seq % slots as u64) as usize] = Some(slot);
        while let Some(slot) = ring[(next % slots as u64) as usize].take() {
            if !deliver(sinks, &slot)? {
                return Ok(Ending::OutputClosed);
            }
            next += 1;
            let _ = free_tx.send(slot);
        }
        if done_rx.is_empty() && !flush(sinks.out)? {
            return Ok(Ending::OutputClosed);
        }
    }
    Ok(if flush(sinks.out)? { Ending::Complete } else { Ending::OutputClosed })
}

fn run_inline(
    p: &Processor,
    sources: Vec<Box<dyn Read + Send>>,
    sinks: &mut Sinks,
    settings: Settings,
    clock: &(dyn Fn() -> i64 + Sync),
) -> io::Result<(Ending, Stats)> {
    let mut slot = Slot::default();
    let mut scratch = LineScratch::default();
    let mut stats = Stats::default();
    for src in sources {
        let mut framer = Framer::new(src, settings.max_line, READ_SIZE);
        while framer.fill(&mut slot.input)? {
            slot.input.now = clock();
            // One batch and one scratch: what a long line made them grow to is bounded already.
            process_batch(p, &mut slot, &mut scratch, &mut stats);
            if !deliver(sinks, &slot)? || !flush(sinks.out)? {
                return Ok((Ending::OutputClosed, stats));
            }
        }
    }
    Ok((Ending::Complete, stats))
}
