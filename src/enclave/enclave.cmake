# src/enclave tests (owner: H8). Prefix enclave_.
esgx_add_c_test(enclave_keystore SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_keystore.c
                LIBS esgx_enclave_core)
esgx_add_c_test(enclave_modcache SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_modcache.c
                LIBS esgx_enclave_core)
if(ESGX_HAVE_WASM_RUNTIME)
  esgx_add_c_test(enclave_exec SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_executor.c
                  LIBS esgx_enclave_core)
endif()
if(ESGX_HAVE_WASM_RUNTIME)
  esgx_add_c_test(enclave_channel SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_channel.c
                  LIBS esgx_enclave_core esgx_proto)
  add_dependencies(enclave_channel esgx-enclave)
endif()
if(ESGX_HAVE_WASM_RUNTIME)
  esgx_add_c_test(enclave_sdk_examples SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_examples.c
                  LIBS esgx_enclave_core)
  if(EXISTS ${CMAKE_SOURCE_DIR}/sdk/CMakeLists.txt)
    find_program(ESGX_CLANG_WASM_E NAMES clang-19)
    if(ESGX_CLANG_WASM_E)
      add_dependencies(enclave_sdk_examples sdk_examples)
    endif()
  endif()
endif()
# End to end through esgxd over HTTP, checked with @scure/bip32, @noble/curves, eciesjs
# (tests/js/enclave_e2e.mjs; skips when esgxd or the SDK examples are not built).
find_program(ESGX_NODE_JS NAMES node nodejs)
if(ESGX_NODE_JS)
  esgx_add_script_test(enclave_js_e2e ${ESGX_NODE_JS} ${CMAKE_SOURCE_DIR}/tests/js/enclave_e2e.mjs)
  set_tests_properties(enclave_js_e2e PROPERTIES TIMEOUT 180)
endif()
