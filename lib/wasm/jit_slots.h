/*
 * jit_slots.h (internal to jit_ops.c, included once before its templates): where a
 * slot's value lives while compiled code runs, and the operand helpers that hide it.
 * A slot is in memory ([rbx + 8*slot]) or in the register jit_alloc.c gave it for the
 * whole function: a GPR, the low bits of an xmm register, or half of an xmm register
 * holding a v128 pair. ld/st (integers), ldf/stf (floats), iopnd and the *_s helpers
 * (an ALU operand in place) read and write either kind; c->sync tracks the registers
 * changed since memory last had their value, and spill/reload (around helpers) and
 * spill_call/reload_call (around wasm calls, only the slots live after the call:
 * esgx_jit_live) write them back and read them again. A load of the slot stored by
 * the instruction just emitted reads the register instead (c->last, just_stored).
 */

/* ---- slot operands: in memory ([rbx + 8*slot]) or in their register (c->pin) */

/* The scalar register of slot s (0-15 a GPR, 16 + n xmm n), or -1: in memory, or half
 * of a v128 in a register (vhalf; the operand helpers below handle both). */
static int pin_of(const jc *c, uint32_t s)
{
    return c->pin[s] < 32 ? c->pin[s] : -1;
}

/* Whether slot s is half of a v128 pair in a register: 0 the low half, 1 the high
 * half, *x its xmm register; -1 if not. */
static int vhalf(const jc *c, uint32_t s, int *x)
{
    int p = c->pin[s];
    if (p < 32) return -1;
    *x = (p - 32) & 15;
    return p >= 48;
}

/* The xmm register holding the v128 pair from slot s whole, or -1. */
static int vpair(const jc *c, uint32_t s)
{
    int p = c->pin[s];
    return p >= 32 && p < 48 ? p - 32 : -1;
}

/* Slot s in a register was written: its entry's memory copy is stale. */
static void dirty(jc *c, uint32_t s)
{
    c->sync[c->pin[s] >= 48 ? s - 1 : s] = 0;
}

/* SSE moves between a v128 register's halves and GPRs or other xmm registers:
 * pextrq / pextrd r, x, lane; pinsrq x, r, lane; movlhps d, s (d's high half = s's
 * low half); hi64 d, s (d = s's high half: pshufd, which writes all of d, so that it
 * does not wait for d's last writer as movhlps would). */
static void x64_pextr(esgx_x64 *a, bool w64, int r, int x, uint8_t lane)
{
    X_OP3(a, 0x66, w64 ? XW : 0, 0x0F, 0x3A, 0x16, x, r, NULL);
    x64_b(a, lane);
}

static void x64_pinsrq(esgx_x64 *a, int x, int r, uint8_t lane)
{
    X_OP3(a, 0x66, XW, 0x0F, 0x3A, 0x22, x, r, NULL);
    x64_b(a, lane);
}

static void x64_hi64(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0x66, 0, 0x0F, 0x70, d, s, NULL);
    x64_b(a, 0xEE);
}

static void x64_movlhps(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0, 0, 0x0F, 0x16, d, s, NULL);
}

/* movdqu xmm, [m] / movdqu [m], xmm */
static void x64_movdqu_load(esgx_x64 *a, int x, x64_mem m)
{
    X_OP2(a, 0xF3, 0, 0x0F, 0x6F, x, 0, &m);
}

static void x64_movdqu_store(esgx_x64 *a, x64_mem m, int x)
{
    X_OP2(a, 0xF3, 0, 0x0F, 0x7F, x, 0, &m);
}

/* Records that the store just emitted put register reg in slot s (kind LAST_*; an
 * xmm register is recorded as 16 + n, so GPR and xmm numbers never collide). */
static void stored(jc *c, uint32_t s, int reg, uint8_t kind)
{
    c->last.at = c->a->n;
    c->last.slot = s;
    c->last.reg = (int8_t)reg;
    c->last.kind = kind;
}

/* Whether slot s was stored by the instruction just emitted (its register still
 * holds it). */
static bool just_stored(const jc *c, uint32_t s)
{
    return c->last.at == c->a->n && c->last.slot == s;
}

/* After a copy out of the recorded register into dst (16 + n for xmm n): the record
 * stays valid unless dst is that register. */
static void still_stored(jc *c, int dst)
{
    if (dst != c->last.reg) c->last.at = c->a->n;
}

/* r = slot s: 64 bits, or (w64 false) its low 32 bits zero-extended */
static void ld(jc *c, bool w64, int r, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h == 0) {
        x64_movq_rx(c->a, w64, r, v);
        return;
    }
    if (h == 1) {
        x64_pextr(c->a, w64, r, v, w64 ? 1 : 2);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s)) {
        int q = c->last.reg;
        if (c->last.kind == LAST_GPR) {
            if (r != q || !w64) x64_mov_rr(c->a, w64, r, q);
        } else {
            x64_movq_rx(c->a, w64, r, q - 16);
        }
        still_stored(c, r);
        return;
    }
    if (p < 0) x64_load(c->a, w64, r, slot(s));
    else if (p < 16) x64_mov_rr(c->a, w64, r, p);
    else x64_movq_rx(c->a, w64, r, p - 16);
}

/* slot s = r (64 bits: an i32 result is already zero-extended) */
static void st(jc *c, uint32_t s, int r)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        x64_pinsrq(c->a, v, r, (uint8_t)h);
        dirty(c, s);
        return;
    }
    int p = pin_of(c, s);
    if (p >= 0) c->sync[s] = 0;
    if (p < 0) {
        x64_store(c->a, true, slot(s), r);
        stored(c, s, r, LAST_GPR);
    } else if (p < 16) {
        x64_mov_rr(c->a, true, p, r);
    } else {
        x64_movq_xr(c->a, true, p - 16, r);
    }
}

/* xmm x = float slot s (f32: the low 32 bits) */
static void ldf(jc *c, bool dbl, int x, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {   /* the low 64 bits of x: the half (what lies above is not read) */
        if (h) x64_hi64(c->a, x, v);
        else if (x != v) x64_movaps(c->a, x, v);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s)) {
        int q = c->last.reg;
        if (c->last.kind == LAST_GPR) x64_movq_xr(c->a, dbl, x, q);
        else if (x != q - 16) x64_movaps(c->a, x, q - 16);
        still_stored(c, x + 16);
        return;
    }
    if (p < 0) x64_movs_load(c->a, dbl, x, slot(s));
    else if (p < 16) x64_movq_xr(c->a, dbl, x, p);
    else x64_movaps(c->a, x, p - 16);
}

/* float slot s = xmm x; an f32 slot keeps its upper 32 bits zero (in an xmm register
 * too: bits 32-63 are what a 64-bit read of the slot sees) */
static void stf(jc *c, bool dbl, uint32_t s, int x)
{
    esgx_x64 *a = c->a;
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        if (dbl && h) x64_movlhps(a, v, x);
        else if (dbl) x64_sse_rr(a, true, SSE_MOVS, v, x);   /* movsd: the low 64 bits */
        else {
            x64_movq_rx(a, false, X_RAX, x);
            x64_pinsrq(a, v, X_RAX, (uint8_t)h);
        }
        dirty(c, s);
        return;
    }
    int p = pin_of(c, s);
    if (p >= 0) c->sync[s] = 0;
    if (p < 0) {
        if (dbl) {
            x64_movs_store(a, true, slot(s), x);
            stored(c, s, x + 16, LAST_XMM64);
        } else {
            x64_movq_rx(a, false, X_RAX, x);
            x64_store(a, true, slot(s), X_RAX);
            stored(c, s, X_RAX, LAST_GPR);
        }
    } else if (p < 16) {
        x64_movq_rx(a, dbl, p, x);
    } else if (dbl) {
        x64_movaps(a, p - 16, x);
    } else {
        x64_xorps(a, p - 16, p - 16);
        x64_sse_rr(a, false, SSE_MOVS, p - 16, x);   /* movss: the low 32 bits */
    }
}

/* The slot as an integer r/m operand: its GPR, or memory, or (in an xmm) copied to
 * the operand scratch T_GPR. *m is filled for memory; returns the register or -1. */
static int iopnd(jc *c, uint32_t s, x64_mem *m)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        ld(c, true, T_GPR, s);
        return T_GPR;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s) && c->last.kind == LAST_GPR) return c->last.reg;
    if (p < 0) {
        *m = slot(s);
        return -1;
    }
    if (p < 16) return p;
    x64_movq_rx(c->a, true, T_GPR, p - 16);
    return T_GPR;
}

/* r op= slot s (ALU) */
static void alu_s(jc *c, int alu, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_alu_rm(c->a, alu, w64, r, m);
    else x64_alu_rr(c->a, alu, w64, r, p);
}

static void imul_s(jc *c, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_imul_rm(c->a, w64, r, m);
    else x64_imul_rr(c->a, w64, r, p);
}

static void cmov_s(jc *c, int cc, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_cmov_rm(c->a, cc, true, r, m);
    else x64_cmov_rr(c->a, cc, true, r, p);
}

/* flags of slot s compared with 0 */
static void cmp0_s(jc *c, bool w64, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_alu_mi(c->a, ALU_CMP, w64, m, 0);
    else x64_test_rr(c->a, w64, p, p);
}

/* r = sign/zero extension of slot s (x64_load_ext kinds) */
static void ext_s(jc *c, int kind, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_load_ext(c->a, kind, w64, r, m);
    else x64_ext_rr(c->a, kind, w64, r, p);
}

/* xmm x op= float slot s (scalar SSE op) */
static void sse_s(jc *c, bool dbl, uint8_t op, int x, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        if (h) x64_hi64(c->a, T_XMM, v);
        x64_sse_rr(c->a, dbl, op, x, h ? T_XMM : v);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s) && c->last.kind != LAST_GPR) {
        x64_sse_rr(c->a, dbl, op, x, c->last.reg - 16);
        return;
    }
    if (p < 0) {
        x64_sse_rm(c->a, dbl, op, x, slot(s));
    } else if (p >= 16) {
        x64_sse_rr(c->a, dbl, op, x, p - 16);
    } else {
        x64_movq_xr(c->a, dbl, T_XMM, p);
        x64_sse_rr(c->a, dbl, op, x, T_XMM);
    }
}

/* Entry i of c->pinned written to its memory / read from it: a GPR, a scalar in an
 * xmm register (64 bits), or a v128 pair (16 bytes). */
static void entry_store(jc *c, uint32_t i)
{
    uint32_t s = c->pinned[i];
    int p = c->pin[s];
    if (p < 16) x64_store(c->a, true, slot(s), p);
    else if (p < 32) x64_movs_store(c->a, true, slot(s), p - 16);
    else x64_movdqu_store(c->a, slot(s), p - 32);
    c->sync[s] = 1;
}

static void entry_load(jc *c, uint32_t i)
{
    uint32_t s = c->pinned[i];
    int p = c->pin[s];
    if (p < 16) x64_load(c->a, true, p, slot(s));
    else if (p < 32) x64_movs_load(c->a, true, p - 16, slot(s));
    else x64_movdqu_load(c->a, p - 32, slot(s));
    c->sync[s] = 1;
}

/* Whether entry i overlaps the slots [lo, hi). */
static bool entry_in(const jc *c, uint32_t i, uint32_t lo, uint32_t hi)
{
    uint32_t s = c->pinned[i];
    return s < hi && s + (c->wide >> i & 1) >= lo;
}

/* Writes the registers of the slots in [lo, hi) to memory / reads them back: around
 * calls and helpers, which see the frame in memory (a v128 pair whole if either of
 * its slots is in the range). A register whose memory copy is current (c->sync:
 * nothing wrote it since the last write-back or reload, and no branch target came in
 * between) is not written again. */
static void spill(jc *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->n_pinned; i++)
        if (entry_in(c, i, lo, hi) && !c->sync[c->pinned[i]]) entry_store(c, i);
}

static void reload(jc *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->n_pinned; i++)
        if (entry_in(c, i, lo, hi)) entry_load(c, i);
}

/* Around a call from the current instruction with argument base `base` (the callee's
 * frame starts there and overlaps every slot above): before it, the registers of the
 * slots below base that are live after the call (esgx_jit_live) and changed since
 * their last write-back are written back, and those of the arguments [base, args_end)
 * and of slot `also` (UINT32_MAX: none), which the callee or a helper reads; after it,
 * only the live slots are read again (a result, or a value written back before or
 * never changed). A dead slot's register is left as the call leaves it: it is written
 * before it is read again. */
static void spill_call(jc *c, uint32_t base, uint32_t args_end, uint32_t also)
{
    uint32_t lv = c->live[c->cur];
    for (uint32_t i = 0; i < c->n_pinned; i++) {
        uint32_t s = c->pinned[i];
        if (c->sync[s]) continue;
        bool need = ((lv >> i & 1) && s < base) || entry_in(c, i, base, args_end) ||
                    (also != UINT32_MAX && entry_in(c, i, also, also + 1));
        if (need) entry_store(c, i);
    }
}

/* (in_rax: a slot whose value rax holds as well, the result of a direct call;
 * UINT32_MAX: none) */
static void reload_call(jc *c, uint32_t in_rax)
{
    uint32_t lv = c->live[c->cur];
    for (uint32_t i = 0; i < c->n_pinned; i++) {
        uint32_t s = c->pinned[i];
        c->sync[s] = 1;
        if (!(lv >> i & 1)) continue;
        int p = c->pin[s];
        if (s == in_rax && p < 16) x64_mov_rr(c->a, true, p, X_RAX);
        else if (s == in_rax && p < 32) x64_movq_xr(c->a, true, p - 16, X_RAX);
        else entry_load(c, i);
    }
}
