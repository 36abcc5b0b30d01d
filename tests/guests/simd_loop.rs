// simd_loop.rs: ordinary loops over u32 and f32 arrays that rustc auto-vectorizes
// with -C target-feature=+simd128 (tests/wasm_simd_guests.sh builds it both ways and
// compares the answers on both tiers and under V8).
#![no_std]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
static mut A: [u32; 4096] = [0; 4096];
static mut B: [f32; 4096] = [0.0; 4096];
#[no_mangle]
pub extern "C" fn run(n: i32) -> i64 {
    let a = unsafe { &mut A };
    let b = unsafe { &mut B };
    let mut h: u32 = 2166136261;
    for i in 0..a.len() { h = h.wrapping_mul(16777619) ^ (i as u32); a[i] = h; b[i] = (h >> 8) as f32 * 0.5; }
    let mut acc: u64 = 0;
    for _ in 0..n {
        for i in 0..a.len() { a[i] = a[i].wrapping_mul(3).wrapping_add(a[i] >> 3); }
        for i in 0..b.len() { b[i] = b[i] * 0.75 + 1.0; }
        let mut s: u32 = 0;
        for x in a.iter() { s = s.wrapping_add(*x); }
        acc = acc.wrapping_add(s as u64);
    }
    let mut f: f32 = 0.0;
    for x in b.iter() { f += *x; }
    (acc as i64) ^ (f.to_bits() as i64)
}
