# tests/spec.cmake (owner: the decoder/validator helper): esgx-wast, the WebAssembly
# spec-test runner (tests/spec/wast_runner.c), and one ctest per core script of
# $ESGX_SHARED_DIR/wasm-testsuite/core (wasm_spec_<script>), plus wasm_spec_decode_validate
# which runs only the decoding/validation assertions of every script (--parse-only).
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
add_executable(esgx-wast ${CMAKE_CURRENT_SOURCE_DIR}/spec/wast_runner.c)
target_link_libraries(esgx-wast PRIVATE esgx_wasm PkgConfig::JANSSON)

set(ESGX_WAST_CORE ${ESGX_SHARED_DIR}/wasm-testsuite/core)
if(EXISTS ${ESGX_WAST_CORE})
  file(GLOB ESGX_WAST_FILES CONFIGURE_DEPENDS ${ESGX_WAST_CORE}/*.wast)
  foreach(f ${ESGX_WAST_FILES})
    get_filename_component(n ${f} NAME_WE)
    esgx_add_script_test(wasm_spec_${n} $<TARGET_FILE:esgx-wast> ${f})
  endforeach()
  esgx_add_script_test(wasm_spec_decode_validate $<TARGET_FILE:esgx-wast> --parse-only
                       ${ESGX_WAST_CORE})
  set_tests_properties(wasm_spec_decode_validate PROPERTIES TIMEOUT 900)
else()
  esgx_add_script_test(wasm_spec_core sh -c
    "echo 'wasm_spec: ${ESGX_WAST_CORE} is missing; skipped' >&2; exit 77")
endif()
