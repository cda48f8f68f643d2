//! A write-once file that bypasses the page cache where the system allows it.
//!
//! Checkpoints are large (about 2.3 KB of sketch per document) and read back only
//! after a crash. Written through the page cache, every byte is first copied into
//! freshly allocated cache pages, which on the development machine cost about a
//! tenth of a dedup run's CPU time, and the copies evict the input file that the
//! second pass reads again. With Linux's `O_DIRECT` the device reads the data from
//! our buffer instead, and a thread of its own waits for it, so the job's
//! workers go on computing. Filesystems without it (tmpfs) and other systems get
//! a plain buffered file. A device too slow to keep up (a full queue: a disk
//! several times slower than the job produces checkpoint bytes) would hold the
//! job up, where the page cache would absorb the writes: from then on the file
//! goes through the page cache.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// Alignment of direct writes (offset, length and buffer address): the page size,
/// which every block device's logical block size divides.
const ALIGN: usize = 4096;
/// Bytes gathered before each write.
const BLOCK: usize = 1 << 20;
/// Full blocks that may wait for the device. The dedup job hands over a batch of
/// records at a time (about 3 MB per 2,048 documents), so the queue takes a
/// whole batch; a device that leaves it full is behind the job, not just
/// busy with the last batch.
const QUEUE: usize = 8;

/// A file written front to back, by a thread of its own (see the module
/// documentation): full blocks are handed over and the caller goes on. When
/// [`QUEUE`] blocks are already waiting, the caller waits once and the thread
/// turns to the page cache for the rest. An error of the writing thread is
/// returned by the next [`DirectWriter::write_all`] or by [`DirectWriter::finish`].
pub(crate) struct DirectWriter {
    /// The block being filled.
    block: Block,
    to_disk: Option<SyncSender<Block>>,
    /// Blocks the thread has written, for reuse.
    back: Receiver<Block>,
    /// Set when a block found the queue full: the device is behind.
    behind: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<Mode>>>,
}

/// How a file was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every block with `O_DIRECT`.
    Direct,
    /// Through the page cache from the start (refused, or not Linux).
    Buffered,
    /// `O_DIRECT` until the device fell behind or refused a write, then buffered.
    DirectThenBuffered,
}

/// `BLOCK + ALIGN` bytes, of which `BLOCK` start aligned at `start` (empty by
/// default: no room, for the place a block was taken from).
#[derive(Default)]
struct Block {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new() -> Block {
        let buf = vec![0u8; BLOCK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        Block { buf, start, len: 0 }
    }
}

impl DirectWriter {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::create_paced(path, Duration::ZERO)
    }

    /// [`DirectWriter::create`] whose thread spends at least `pace` on each block
    /// it writes directly: a slow device, so that tests need not race a real one.
    fn create_paced(path: &Path, pace: Duration) -> io::Result<Self> {
        let behind = Arc::new(AtomicBool::new(false));
        let mut disk = Disk::create(path, behind.clone())?;
        disk.pace = pace;
        let (to_disk, from_caller) = sync_channel::<Block>(QUEUE);
        let (to_caller, back) = sync_channel::<Block>(QUEUE + 1);
        let thread = std::thread::Builder::new()
            .name("ghirbal-direct".into())
            .spawn(move || {
                for mut block in from_caller {
                    disk.write(&mut block)?;
                    // The caller may be gone or have enough blocks: then drop it.
                    let _ = to_caller.try_send(block);
                }
                disk.finish()
            })?;
        Ok(DirectWriter {
            block: Block::new(),
            to_disk: Some(to_disk),
            back,
            behind,
            thread: Some(thread),
        })
    }

    /// Appends `bytes`.
    pub fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let b = &mut self.block;
            let n = (BLOCK - b.len).min(bytes.len());
            let at = b.start + b.len;
            b.buf[at..at + n].copy_from_slice(&bytes[..n]);
            b.len += n;
            bytes = &bytes[n..];
            if b.len == BLOCK {
                let mut next = self.back.try_recv().unwrap_or_else(|_| Block::new());
                next.len = 0;
                let full = std::mem::replace(&mut self.block, next);
                self.send(full)?;
            }
        }
        Ok(())
    }

    /// Writes what is left, waits for the thread and closes the file; tells how
    /// it was written.
    pub fn finish(mut self) -> io::Result<Mode> {
        let tail = std::mem::take(&mut self.block);
        if tail.len > 0 {
            self.send(tail)?;
        }
        self.to_disk = None;
        self.join()
    }

    fn send(&mut self, block: Block) -> io::Result<()> {
        let Some(tx) = &self.to_disk else {
            return self.stopped();
        };
        let block = match tx.try_send(block) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(block)) => {
                self.behind.store(true, Ordering::Relaxed);
                block
            }
            Err(TrySendError::Disconnected(_)) => return self.stopped(),
        };
        if tx.send(block).is_ok() {
            Ok(())
        } else {
            self.stopped()
        }
    }

    /// The thread stopped on an error: report it.
    fn stopped(&mut self) -> io::Result<()> {
        self.to_disk = None;
        self.join()?;
        Err(io::Error::other("the writing thread stopped"))
    }

    fn join(&mut self) -> io::Result<Mode> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the writing thread panicked")),
            None => Ok(Mode::Buffered),
        }
    }
}

impl Drop for DirectWriter {
    fn drop(&mut self) {
        // Not finished (an error elsewhere): let the thread end; the file is
        // incomplete and its caller discards it.
        self.to_disk = None;
        let _ = self.join();
    }
}

/// The file, on the writing thread.
struct Disk {
    file: File,
    path: PathBuf,
    direct: bool,
    /// Opened with `O_DIRECT`.
    opened_direct: bool,
    /// The caller's signal that the device is behind.
    behind: Arc<AtomicBool>,
    /// Bytes of data written so far; the file is longer only after a padded
    /// last block.
    data: u64,
    /// Least time per direct write ([`DirectWriter::create_paced`]).
    pace: Duration,
}

impl Disk {
    fn create(path: &Path, behind: Arc<AtomicBool>) -> io::Result<Disk> {
        let (file, direct) = match open_direct(path) {
            Some(f) => (f, true),
            None => (File::create(path)?, false),
        };
        Ok(Disk {
            file,
            path: path.to_owned(),
            direct,
            opened_direct: direct,
            behind,
            data: 0,
            pace: Duration::ZERO,
        })
    }

    /// The rest of the file goes through the page cache.
    fn go_buffered(&mut self) -> io::Result<()> {
        self.direct = false;
        self.file = OpenOptions::new().write(true).open(&self.path)?;
        self.file.seek(SeekFrom::Start(self.data))?;
        Ok(())
    }

    /// Writes a block; only the last one may be short, and goes out padded to the
    /// alignment in direct mode (the file is cut back in [`Disk::finish`]).
    fn write(&mut self, b: &mut Block) -> io::Result<()> {
        if self.direct && self.behind.load(Ordering::Relaxed) {
            self.go_buffered()?;
        }
        let n = if self.direct {
            b.len.next_multiple_of(ALIGN)
        } else {
            b.len
        };
        if self.direct && !self.pace.is_zero() {
            std::thread::sleep(self.pace);
        }
        // Zeros after the data (the block may hold bytes of an earlier use there).
        b.buf[b.start + b.len..b.start + n].fill(0);
        match self.file.write_all(&b.buf[b.start..b.start + n]) {
            Ok(()) => {
                self.data += b.len as u64;
                Ok(())
            }
            // Some filesystems accept O_DIRECT at open and refuse it on write
            // (EINVAL): this block and the rest go through the page cache.
            Err(e) if self.direct && e.kind() == io::ErrorKind::InvalidInput => {
                self.go_buffered()?;
                self.write(b)
            }
            Err(e) => Err(e),
        }
    }

    fn finish(mut self) -> io::Result<Mode> {
        if self.direct {
            self.file.set_len(self.data)?;
        }
        self.file.flush()?;
        Ok(match (self.opened_direct, self.direct) {
            (true, true) => Mode::Direct,
            (true, false) => Mode::DirectThenBuffered,
            _ => Mode::Buffered,
        })
    }
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> Option<File> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the sizes of the pieces, the file holds exactly their bytes: on
    /// the temporary folder's filesystem (direct on ext4 and xfs) and, where there
    /// is one, on tmpfs (which refuses O_DIRECT: the buffered path).
    #[test]
    fn file_holds_exactly_what_was_written() {
        let shm = std::path::Path::new("/dev/shm");
        let mut dirs = vec![tempfile::tempdir().unwrap()];
        if shm.is_dir() {
            dirs.push(tempfile::tempdir_in(shm).unwrap());
        }
        for dir in &dirs {
            write_and_check(dir.path());
        }
    }

    /// A device that keeps up is written directly to the end; one that falls
    /// behind (here: a device taking 50 ms a block, handed blocks as fast as they
    /// are filled) sends the rest through the page cache, and the file is still
    /// exact. Neither case depends on the real device's speed or the machine's load.
    #[test]
    fn a_device_that_falls_behind_gets_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, blocks: usize, pause: Duration, pace: Duration| {
            let path = dir.path().join(name);
            let data: Vec<u8> = (0..blocks * BLOCK + 333).map(|i| (i % 253) as u8).collect();
            let mut w = DirectWriter::create_paced(&path, pace).unwrap();
            for piece in data.chunks(BLOCK) {
                w.write_all(piece).unwrap();
                std::thread::sleep(pause);
            }
            let mode = w.finish().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), data, "{name}");
            mode
        };
        // Three blocks never fill the queue, however slowly they are written.
        let slow = write("slow", 3, Duration::from_millis(20), Duration::ZERO);
        if slow == Mode::Buffered {
            // No O_DIRECT on this filesystem: nothing more to see.
            return;
        }
        assert_eq!(slow, Mode::Direct);
        let burst = write(
            "burst",
            2 * QUEUE + 4,
            Duration::ZERO,
            Duration::from_millis(50),
        );
        assert_eq!(burst, Mode::DirectThenBuffered);
    }

    fn write_and_check(dir: &std::path::Path) {
        for total in [
            0usize,
            1,
            4095,
            4096,
            4097,
            BLOCK - 1,
            BLOCK,
            BLOCK + 5000,
            3 * BLOCK + 17,
        ] {
            let path = dir.join(format!("f{total}"));
            let data: Vec<u8> = (0..total).map(|i| (i * 7 + i / 251) as u8).collect();
            let mut w = DirectWriter::create(&path).unwrap();
            // Uneven pieces, so blocks fill in the middle of a piece.
            let mut rest = &data[..];
            let mut k = 1;
            while !rest.is_empty() {
                let n = (k * 977 % 70_001).min(rest.len());
                w.write_all(&rest[..n]).unwrap();
                rest = &rest[n..];
                k += 1;
            }
            w.finish().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), data, "{total} bytes");
        }
    }
}
