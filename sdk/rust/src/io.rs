//! The invocation's input and output (sgxkit's `io` module): `input_reader()` is a
//! `Read + Seek` over the input, `output_writer()` a `Write` appending to the output;
//! `debug_print` writes to the debug log. Input and output are bytes: nothing here
//! assumes UTF-8 except `get_input_data_string`.
use std::io::{self, Read, Seek, SeekFrom, Write};

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
        let rc = unsafe { fn0::input_data_copy(buf.as_mut_ptr(), offset, buf.len()) };
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

/// A handle on the output. Handles are cheap; all append to the one output.
pub fn output_writer() -> OutputWriter {
    OutputWriter { _private: () }
}

/// Appends to the output (`output_data_append`).
pub struct OutputWriter {
    _private: (),
}

impl OutputWriter {
    /// Discards the output written so far, e.g. to write an error message instead.
    pub fn clear(&mut self) {
        // SAFETY: no arguments.
        unsafe { fn0::output_data_clear() }
    }

    /// sgxkit compatibility: a guest is single-threaded, so the "lock" is the writer.
    pub fn lock(&mut self) -> &mut OutputWriter {
        self
    }
}

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: buf is readable for buf.len() bytes.
        let rc = unsafe { fn0::output_data_append(buf.as_ptr(), buf.len()) };
        HostError::result(rc)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes one line (text or bytes) to the debug log.
pub fn debug_print<T: AsRef<[u8]> + ?Sized>(msg: &T) {
    let bytes = msg.as_ref();
    // SAFETY: bytes is readable for its length.
    unsafe { fn0::debug_print(bytes.as_ptr(), bytes.len()) }
}
