# lib/wasm/exec.cmake (owner: the execution helper): tests of the compiler,
# interpreter, instances, host functions, fuel and limits (test_exec.c).
esgx_add_c_test(wasm_exec SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_exec.c LIBS esgx_wasm)
set_tests_properties(wasm_exec PROPERTIES TIMEOUT 300)
