//! A write-once file that bypasses the page cache where the system allows it.
//!
//! Checkpoints are large (about 2.3 KB of sketch per document) and read back only
//! after a crash. Written through the page cache, every byte is first copied into
//! freshly allocated cache pages, which on the development machine cost about a
//! tenth of a dedup run's CPU time, and the copies evict the input file that the
//! second pass reads again. With Linux's `O_DIRECT` the device reads the data from
//! our buffer instead. Filesystems without it (tmpfs) and other systems get a plain
//! buffered file.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Alignment of direct writes (offset, length and buffer address): the page size,
/// which every block device's logical block size divides.
const ALIGN: usize = 4096;
/// Bytes gathered before each write.
const BLOCK: usize = 1 << 20;

/// A file written front to back (see the module documentation).
pub(crate) struct DirectWriter {
    file: File,
    path: PathBuf,
    direct: bool,
    /// `BLOCK + ALIGN` bytes; the block starts at `start`, aligned.
    buf: Vec<u8>,
    start: usize,
    /// Bytes waiting in the block.
    len: usize,
    /// Bytes written to the file so far.
    written: u64,
}

impl DirectWriter {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let (file, direct) = match open_direct(path) {
            Some(f) => (f, true),
            None => (File::create(path)?, false),
        };
        let buf = vec![0u8; BLOCK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        Ok(DirectWriter {
            file,
            path: path.to_owned(),
            direct,
            buf,
            start,
            len: 0,
            written: 0,
        })
    }

    /// Appends `bytes`.
    pub fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = (BLOCK - self.len).min(bytes.len());
            let at = self.start + self.len;
            self.buf[at..at + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            if self.len == BLOCK {
                self.write_block(BLOCK)?;
            }
        }
        Ok(())
    }

    /// Writes what is left and closes the file.
    pub fn finish(mut self) -> io::Result<()> {
        let len = self.len;
        if self.direct && len > 0 {
            // The tail goes out padded to the alignment; the file is then cut back.
            let padded = len.next_multiple_of(ALIGN);
            self.buf[self.start + len..self.start + padded].fill(0);
            self.write_block(padded)?;
            self.file.set_len(self.written - (padded - len) as u64)?;
        } else if len > 0 {
            self.write_block(len)?;
        }
        self.file.flush()
    }

    /// Writes the first `n` bytes of the block, then empties it.
    fn write_block(&mut self, n: usize) -> io::Result<()> {
        let block = &self.buf[self.start..self.start + n];
        match self.file.write_all(block) {
            Ok(()) => {}
            // Some filesystems accept O_DIRECT at open and refuse it on write:
            // write this and the rest through the page cache.
            Err(e) if self.direct && e.raw_os_error() == Some(EINVAL) => {
                self.direct = false;
                self.file = OpenOptions::new().write(true).open(&self.path)?;
                self.file.seek(SeekFrom::Start(self.written))?;
                self.file.write_all(block)?;
            }
            Err(e) => return Err(e),
        }
        self.written += n as u64;
        self.len = 0;
        Ok(())
    }
}

#[cfg(target_os = "linux")]
const EINVAL: i32 = libc::EINVAL;
#[cfg(not(target_os = "linux"))]
const EINVAL: i32 = 22;

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

    /// Whatever the sizes of the pieces, the file holds exactly their bytes.
    #[test]
    fn file_holds_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
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
            let path = dir.path().join(format!("f{total}"));
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
