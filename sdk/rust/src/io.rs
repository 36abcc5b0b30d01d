//! The invocation's input and output (sgxkit's `io` module): `input_reader()` is a
//! `Read + Seek` over the input, `output_writer()` a `Write` appending to the output;
//! `debug_print` writes to the debug log. Input and output are bytes: nothing here
//! assumes UTF-8 except `get_input_data_string`.
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, MutexGuard};

use crate::error::HostError;
use crate::sys::fn0;

/// A reader over the input, from its start.
pub fn input_reader() -> InputReader {
    // SAFETY: no arguments.
    let len = unsafe { fn0::input_data_size() };
    InputReader { cur: 0, len }
}

/// The whole input.
pub fn get_input_data() -> Result<Vec<u8>, HostError> {
    let reader = input_reader();
    let mut buf = vec![0u8; reader.len];
    reader.copy_at(0, &mut buf)?;
    Ok(buf)
}

/// The whole input as a string; an `InvalidData` error if it is not UTF-8.
pub fn get_input_data_string() -> io::Result<String> {
    String::from_utf8(get_input_data()?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads the input (`input_data_copy`); seekable.
pub struct InputReader {
    cur: usize,
    len: usize,
}

impl InputReader {
    /// Length of the whole input in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the input is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn copy_at(&self, offset: usize, buf: &mut [u8]) -> Result<(), HostError> {
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: buf is writable for buf.len() bytes; the host checks the input range.
        let rc = unsafe { fn0::input_data_copy(buf.as_mut_ptr() as usize, offset, buf.len()) };
        HostError::result(rc).map(|_| ())
    }
}

impl Read for InputReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.len.saturating_sub(self.cur));
        self.copy_at(self.cur, &mut buf[..n])?;
        self.cur += n;
        Ok(n)
    }
}

impl Seek for InputReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(v) => Some(v as i128),
            SeekFrom::End(v) => Some(self.len as i128 + v as i128),
            SeekFrom::Current(v) => Some(self.cur as i128 + v as i128),
        };
        match target {
            Some(t) if t >= 0 && t <= usize::MAX as i128 => {
                self.cur = t as usize;
                Ok(self.cur as u64)
            }
            _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid seek offset")),
        }
    }
}

/// Serialises output writers, as sgxkit's (a guest has one thread, so it never waits).
static IS_WRITER_OPEN: Mutex<()> = Mutex::new(());

/// A handle on the output. Handles are cheap; all append to the one output.
pub fn output_writer() -> OutputWriter {
    OutputWriter { _private: () }
}

/// Appends to the output (`output_data_append`).
pub struct OutputWriter {
    _private: (),
}

impl OutputWriter {
    /// Holds the output for this writer alone until the lock is dropped (a second
    /// `lock()` in the same scope deadlocks, as in sgxkit).
    pub fn lock(&mut self) -> OutputWriterLock<'_> {
        let guard = IS_WRITER_OPEN.lock().unwrap_or_else(|e| e.into_inner());
        OutputWriterLock(self, guard)
    }

    /// Discards the output written so far, e.g. to write an error message instead.
    pub fn clear(&mut self) {
        self.lock().clear()
    }
}

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.lock().write_all(buf)
    }

    fn write_fmt(&mut self, fmt: std::fmt::Arguments<'_>) -> io::Result<()> {
        self.lock().write_fmt(fmt)
    }
}

/// The output held by one writer (see [`OutputWriter::lock`]).
#[allow(unused)]
pub struct OutputWriterLock<'a>(&'a mut OutputWriter, MutexGuard<'a, ()>);

impl OutputWriterLock<'_> {
    /// Discards the output written so far.
    pub fn clear(&mut self) {
        // SAFETY: no arguments.
        unsafe { fn0::output_data_clear() }
    }
}

impl Write for OutputWriterLock<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: buf is readable for buf.len() bytes.
        let rc = unsafe { fn0::output_data_append(buf.as_ptr() as usize, buf.len()) };
        HostError::result(rc)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes one message to the debug log (`esgx run` stderr; a node started with `--debug`).
pub fn debug_print<S: AsRef<str>>(msg: S) {
    let s = msg.as_ref();
    // SAFETY: s is readable for its length.
    unsafe { fn0::debug_print(s.as_ptr() as usize, s.len()) }
}
