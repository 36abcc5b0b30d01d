/*
 * jit_call.h (internal to jit_ops.c, included once after the SIMD templates): wasm
 * calls from compiled code (docs/wasm.md, "Calls"): direct calls by rel32 through a
 * per-call stub that jit.c repoints at the callee when it places the code, and calls
 * through a function object (call_indirect, call_ref), with the live registers written
 * back before and read again after (esgx_jit_live).
 */

/* A direct call (CALL "PPs"): the arguments and the live registers written back, the
 * frame moved to the callee's, a native call (rel32: to the callee once jit.c has
 * placed both, else to a stub that calls through entries[] or the lazy helper,
 * call_stub), the frame moved back (the callee returns rbx as its own frame, which
 * moved if it grew the value stack), memory 0 reloaded only if the callee may grow
 * it, the live registers read again. The callee's entry checks depth and stack. */
static void emit_call(jc *c, const uint32_t *ip)
{
    esgx_x64 *a = c->a;
    const esgx_wasm_code *callee;
    memcpy(&callee, ip + 2, sizeof callee);
    uint32_t argbase = O(2);
    const esgx_wasm_compiled *cm = c->m->compiled;
    uint32_t idx = (uint32_t)(callee - cm->codes);
    spill_call(c, argbase, argbase + callee->n_params, UINT32_MAX);
    x64_lea(a, true, FP, xm(FP, (int32_t)(argbase * 8)));
    x64_b(a, 0xE8);   /* call rel32 */
    size_t rel = a->n;
    x64_d32(a, 0);
    if (c->ncs == c->capcs) {
        size_t nc = c->capcs ? c->capcs * 2 : 16;
        struct callsite *np = realloc(c->cs, nc * sizeof *np);
        if (!np) {
            c->oom = true;
            return;
        }
        c->cs = np;
        c->capcs = nc;
    }
    c->cs[c->ncs++] = (struct callsite){rel, idx, callee, 0};
    x64_lea(a, true, FP, xm(FP, -(int32_t)(argbase * 8)));
    bool grows = !c->env->grows || idx >= c->m->n_funcs || c->env->grows[idx];
    /* a result of one slot comes back in rax as well (RET0, RET1, the stub) unless
     * load_mem takes rax */
    if (grows) load_mem(a);
    reload_call(c, callee->n_results == 1 && !grows ? argbase : UINT32_MAX);
}

/* The stub of a direct call site (entered by its `call`, the callee's frame in rbx):
 * jumps to the callee's code once compiled; else asks esgx_jit_call_lazy, which
 * compiles it (jump there) or interprets it (return to the call site). */
static void call_stub(jc *c, struct callsite *cs)
{
    esgx_x64 *a = c->a;
    cs->stub = a->n;
    x64_patch_rel(a, cs->rel, a->n);
    x64_mov_ri(a, X_RAX, (uint64_t)(uintptr_t)&c->env->entries[cs->callee]);
    x64_load(a, true, X_RAX, xm(X_RAX, 0));
    x64_test_rr(a, true, X_RAX, X_RAX);
    size_t lazy = x64_jcc32(a, CC_E);
    x64_jmp_r(a, X_RAX);
    x64_patch_rel(a, lazy, a->n);
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);   /* 16-byte aligned for the helper */
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_ri(a, X_RSI, (uint64_t)(uintptr_t)cs->code);
    x64_mov_rr(a, true, X_RDX, FP);
    call_abs(a, (const void *)esgx_jit_call_lazy);
    x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
    x64_load(a, true, FUEL, xm(ST, S_FUEL));
    x64_test_rr(a, true, X_RAX, X_RAX);
    jcc_unwind(c, CC_E);
    x64_alu_ri(a, ALU_CMP, true, X_RAX, 1);
    size_t native = x64_jcc32(a, CC_NE);
    x64_load(a, true, FP, xm(ST, S_FP));      /* interpreted: the callee's frame */
    if (cs->code->n_results == 1)             /* and its result, as a return leaves it */
        x64_load(a, true, X_RAX, xm(FP, 0));
    x64_ret(a);
    x64_patch_rel(a, native, a->n);
    x64_jmp_r(a, X_RAX);
}

/* CALL_IMPORT / CALL_INDIRECT: the helper finds the callee (and runs it unless it is
 * compiled code, which is called here, on its own instance). */
static void emit_call_obj(jc *c, const uint32_t *ip, bool indirect)
{
    esgx_x64 *a = c->a;
    uint32_t argbase = indirect ? O(2) : O(1);
    spill_call(c, argbase, UINT32_MAX, indirect ? O(3) : UINT32_MAX);
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_rr(a, true, X_RSI, FP);
    x64_mov_ri(a, X_RDX, (uint64_t)(uintptr_t)ip);
    x64_mov_ri(a, X_RCX, indirect);
    call_abs(a, (const void *)esgx_jit_call_obj);
    x64_load(a, true, FUEL, xm(ST, S_FUEL));
    x64_test_rr(a, true, X_RAX, X_RAX);
    jcc_unwind(c, CC_E);
    x64_load(a, true, FP, xm(ST, S_FP));
    x64_alu_ri(a, ALU_CMP, true, X_RAX, 1);
    size_t done = x64_jcc32(a, CC_E);
    push_m(a, xm(ST, S_CALLER));              /* with the 8 below: 16-byte aligned */
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);
    x64_mov_rr(a, true, X_RSI, X_RAX);
    load_mem(a);                              /* the callee's instance's memory */
    x64_lea(a, true, FP, xm(FP, (int32_t)(argbase * 8)));
    x64_call_r(a, X_RSI);
    x64_lea(a, true, FP, xm(FP, -(int32_t)(argbase * 8)));
    x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
    x64_pop(a, X_RAX);
    x64_store(a, true, xm(ST, S_INST), X_RAX);
    x64_patch_rel(a, done, a->n);
    load_mem(a);
    reload_call(c, UINT32_MAX);
}
