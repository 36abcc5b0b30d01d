# lib/wasm/exec.cmake (owner: the execution helper): tests of the compiler,
# interpreter, instances, host functions, fuel and limits (test_exec.c).
esgx_add_c_test(wasm_exec SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_exec.c LIBS esgx_wasm)
set_tests_properties(wasm_exec PROPERTIES TIMEOUT 300)
# test_wipe.c: guest memory and the value stack are wiped before free / when moved
# (free and realloc of the static library wrapped by the linker to scan each block).
esgx_add_c_test(wasm_wipe SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_wipe.c LIBS esgx_wasm)
target_link_options(wasm_wipe PRIVATE -Wl,--wrap=free -Wl,--wrap=realloc)
# test_dump.c: esgx_wasm_module_dump_code on a small hand-encoded module.
esgx_add_c_test(wasm_dump SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_dump.c LIBS esgx_wasm)
