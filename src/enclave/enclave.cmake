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
