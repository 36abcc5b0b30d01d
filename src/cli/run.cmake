# esgx run links the enclave's host functions (fn0 and WASI, src/enclave/hostfn*.c)
# so that local runs behave exactly as deployed ones.
target_link_libraries(esgx PRIVATE esgx_enclave_core)
