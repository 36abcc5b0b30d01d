/*
 * jit_mem.h (internal to jit_ops.c, included once after the operand helpers): scalar
 * loads and stores and their bounds checks (docs/wasm.md, "Bounds checks"). mem_ea is
 * the plain checked access; access_ea first asks the facts of jit_bounds.c whether an
 * earlier check in the same straight run proves the access, else opens a merged check
 * of the accesses off the same base a few instructions ahead (open_window), whose
 * failure traps itself or jumps to a slow copy (slow_copy in jit_ops.c).
 */

/* loads and stores: ea = u32(slot a [+ imm]) + offset, checked against r13 (ea + size
 * > memory size traps); returns the access operand [r12 + index + disp]. An address in
 * its register is used as the index directly (an i32 slot is zero-extended). */
static x64_mem mem_ea(jc *c, uint32_t addr_slot, bool folded, uint32_t add, uint32_t offset,
                      unsigned size)
{
    esgx_x64 *a = c->a;
    int idx = pin_of(c, addr_slot);
    if ((folded && add) || idx < 0 || idx >= 16) {
        ld(c, false, X_RAX, addr_slot);
        if (folded && add) x64_alu_ri(a, ALU_ADD, false, X_RAX, (int32_t)add);
        idx = X_RAX;
    }
    int32_t disp = 0;
    if (offset <= (uint32_t)INT32_MAX - 16) {
        disp = (int32_t)offset;
    } else {
        if (idx != X_RAX) x64_mov_rr(a, true, X_RAX, idx);
        x64_mov_ri(a, X_RCX, offset);
        x64_alu_rr(a, ALU_ADD, true, X_RAX, X_RCX);
        idx = X_RAX;
    }
    x64_lea(a, true, X_RCX, xm(idx, disp + (int32_t)size));
    x64_alu_rr(a, ALU_CMP, true, X_RCX, MSIZE);
    jcc_trap(c, CC_A, ESGX_WASM_TRAP_MEMORY_OOB);
    return xmi(MEM, idx, 1, disp);
}

/* Largest displacement of an access operand (with room for its size). */
#define DISP_MAX ((uint64_t)INT32_MAX - 16)

/* A merged check's window opens at the current instruction up to instruction last:
 * its job (the slow copy, emitted by finish) and the window. false if either table is
 * full (then no merged check). */
static bool open_window(jc *c, uint32_t last)
{
    if (c->n_win == sizeof c->win / sizeof c->win[0]) return false;
    if (c->n_jobs == c->cap_jobs) {
        size_t nc = c->cap_jobs ? c->cap_jobs * 2 : 16;
        struct bjob *nj = realloc(c->jobs, nc * sizeof *nj);
        if (!nj) {
            c->oom = true;
            return false;
        }
        c->jobs = nj;
        c->cap_jobs = nc;
    }
    struct bjob *j = &c->jobs[c->n_jobs];
    j->i0 = c->cur;
    j->at0 = c->cur_at;
    j->last = last;
    j->pre = c->bd;
    for (uint32_t k = 0; k < c->n_pinned; k++) j->sync[k] = c->sync[c->pinned[k]];
    c->win[c->n_win].last = last;
    c->win[c->n_win].job = c->n_jobs;
    c->win[c->n_win].pre = c->bd;
    c->n_win++;
    c->n_jobs++;
    return true;
}

/* Before instruction i (after a branch target's reset): the windows that ended join
 * their slow copies here. The facts kept are those that hold on both paths, the
 * memory copies of the registers are recorded for the slow copy to match, and no
 * register is known to hold the slot stored last (the slow copy's may differ). */
static void end_windows(jc *c, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < c->n_win; w++) {
        if (c->win[w].last >= i) {
            c->win[n++] = c->win[w];
            continue;
        }
        struct bjob *j = &c->jobs[c->win[w].job];
        for (uint32_t k = 0; k < c->n_pinned; k++) j->sync_join[k] = c->sync[c->pinned[k]];
        esgx_jit_bounds_meet(&c->bd, &c->win[w].pre);
        c->last.at = SIZE_MAX;
    }
    c->n_win = n;
}

/* The facts after instruction ip (op) was emitted, on the path being emitted and on
 * the slow copies of the open windows. */
static void bounds_after(jc *c, const uint32_t *ip, int op)
{
    esgx_jit_bounds_after(&c->bd, ip, op);
    for (uint32_t w = 0; w < c->n_win; w++) esgx_jit_bounds_after(&c->win[w].pre, ip, op);
}

/* Scalar loads and stores: the operand of the access at u32(u32(slot) + add) + off of
 * size bytes, checked as needed (jit_bounds.c has the facts):
 * - proven in bounds by an earlier check (of slot, or of the base slot it is an alias
 *   of): no check, and the address is [r12 + slot's register + add + off] (no wrap);
 * - else, when later accesses off the same base in the window ahead need a check of
 *   their own, one merged check of the largest extent (k + add + off + size from the
 *   base) covers them all: `lea rcx, [base + h]; cmp rcx, r13; ja slow_copy`. When it
 *   fails the slow copy runs the window's instructions with a check per access, so a
 *   trap comes at the same access after the same stores as in the interpreter (or
 *   none: an add that wraps), and it joins the fast path after the window;
 * - else the access's own check (mem_ea), which also proves the slot when no add
 *   could wrap. */
static x64_mem access_ea(jc *c, uint32_t slot, bool folded, uint32_t add, uint32_t off,
                         unsigned size)
{
    esgx_x64 *a = c->a;
    uint32_t base;
    uint64_t k;
    esgx_jit_bounds_resolve(&c->bd, slot, &base, &k);
    uint64_t disp = (uint64_t)add + off, need = disp + size;
    uint64_t have = esgx_jit_bounds_proven(&c->bd, base);
    bool known = esgx_jit_bounds_proven(&c->bd, slot) >= need || (base != slot && have >= k + need);
    bool rax_base = false;
    if (!known && !c->slow && k + need <= DISP_MAX) {
        uint64_t floor = have;
        if (k + add == 0 && need > floor) floor = need;
        uint32_t last;
        bool pure;
        uint64_t h = esgx_jit_bounds_window(c->code, c->target, c->cur, c->cur_at, &c->bd,
                                            base, floor, DISP_MAX, &last, &pure);
        if (last > c->cur && (pure || (c->in_loop[c->cur_at] && open_window(c, last)))) {
            int r = pin_of(c, base);
            if (r < 0 || r >= 16) {
                ld(c, false, X_RAX, base);
                r = X_RAX;
                rax_base = true;
            }
            x64_lea(a, true, X_RCX, xm(r, (int32_t)h));
            x64_alu_rr(a, ALU_CMP, true, X_RCX, MSIZE);
            if (pure) jcc_trap(c, CC_A, ESGX_WASM_TRAP_MEMORY_OOB);
            else c->jobs[c->n_jobs - 1].ja = x64_jcc32(a, CC_A);
            esgx_jit_bounds_prove(&c->bd, base, h);
            known = true;
        }
    }
    if (!known) {
        x64_mem m = mem_ea(c, slot, folded, add, off, size);
        if (add == 0) esgx_jit_bounds_prove(&c->bd, slot, need);
        return m;
    }
    int idx, ps = pin_of(c, slot), pb = pin_of(c, base);
    if (rax_base) {
        idx = X_RAX;
        disp += k;
    } else if (ps >= 0 && ps < 16) {
        idx = ps;
    } else if (pb >= 0 && pb < 16) {
        idx = pb;
        disp += k;
    } else {
        ld(c, false, X_RAX, slot);
        idx = X_RAX;
    }
    if (disp > DISP_MAX) {
        if (idx != X_RAX) x64_mov_rr(a, true, X_RAX, idx);
        x64_mov_ri(a, X_RCX, disp);
        x64_alu_rr(a, ALU_ADD, true, X_RAX, X_RCX);
        idx = X_RAX;
        disp = 0;
    }
    return xmi(MEM, idx, 1, (int32_t)disp);
}

/* a load of kind k (LOAD_*): size, extension (x64_load_ext kind, or -1 plain), 64-bit
 * result */
static void emit_load(jc *c, const uint32_t *ip, int k, bool folded)
{
    static const struct { uint8_t size; int8_t ext; bool w64; } L[LOAD_COUNT_] = {
        [LOAD_32] = {4, -1, false}, [LOAD_64] = {8, -1, true},
        [LOAD_8S32] = {1, EXT_SX8, false}, [LOAD_8U] = {1, EXT_ZX8, false},
        [LOAD_16S32] = {2, EXT_SX16, false}, [LOAD_16U] = {2, EXT_ZX16, false},
        [LOAD_8S64] = {1, EXT_SX8, true}, [LOAD_16S64] = {2, EXT_SX16, true},
        [LOAD_32S64] = {4, EXT_SX32, true}};
    uint32_t off = folded ? O(3) : O(2);
    x64_mem m = access_ea(c, O(1), folded, folded ? O(2) : 0, off, L[k].size);
    int p = pin_of(c, O(0));
    if (L[k].ext < 0 && p >= 16) {   /* an f32/f64 (or i32/i64) into its xmm: movss/movsd
                                      * zero the bits above the value, as a slot's */
        x64_movs_load(c->a, L[k].size == 8, p - 16, m);
        c->sync[O(0)] = 0;
        return;
    }
    int r = p >= 0 && p < 16 ? p : X_RAX;   /* straight into its GPR */
    if (L[k].ext < 0) x64_load(c->a, L[k].w64, r, m);
    else x64_load_ext(c->a, L[k].ext, L[k].w64, r, m);
    if (r == X_RAX) st(c, O(0), X_RAX);
    else c->sync[O(0)] = 0;
}

/* a store of kind k (STORE_*) */
static void emit_store(jc *c, const uint32_t *ip, int k, bool folded)
{
    static const uint8_t size[STORE_COUNT_] = {[STORE_8] = 1, [STORE_16] = 2, [STORE_32] = 4,
                                               [STORE_64] = 8};
    uint32_t off = folded ? O(3) : O(2);
    int p = pin_of(c, O(1)), r = p;
    if (size[k] >= 4 && p >= 16) {   /* straight from its xmm */
        x64_mem m = access_ea(c, O(0), folded, folded ? O(2) : 0, off, size[k]);
        x64_movs_store(c->a, size[k] == 8, m, p - 16);
        return;
    }
    /* straight from its GPR, else from rdx, loaded before the address (which
     * clobbers rax and rcx, and would end a forward of the value stored just before) */
    if (p < 0 || p >= 16) {
        ld(c, true, X_RDX, O(1));
        r = X_RDX;
    }
    x64_mem m = access_ea(c, O(0), folded, folded ? O(2) : 0, off, size[k]);
    switch (k) {
    case STORE_8: x64_store8(c->a, m, r); break;
    case STORE_16: x64_store16(c->a, m, r); break;
    case STORE_32: x64_store(c->a, false, m, r); break;
    default: x64_store(c->a, true, m, r); break;
    }
}
