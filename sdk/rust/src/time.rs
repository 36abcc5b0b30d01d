//! Host time (sgxkit's `time` module). The host controls it: never use it for security
//! decisions (certificate validity, nonces).
use crate::sys::fn0;

/// Seconds since the Unix epoch, as the host claims (`insecure_systemtime`).
pub fn insecure_systemtime() -> u64 {
    // SAFETY: no arguments.
    unsafe { fn0::insecure_systemtime() }
}
