# esgx run calls lib/host's one invocation path (esgx_host_run, with the fn0 and WASI
# host functions), the same code as the enclave's executor, so that local runs behave
# exactly as deployed ones. It does not link the enclave's core (keystore, RA-TLS).
target_link_libraries(esgx PRIVATE esgx_host)
