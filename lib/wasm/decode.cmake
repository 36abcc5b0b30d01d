# lib/wasm/decode.cmake (owner: the decoder/validator helper): unit tests of the
# binary decoder and validator on hostile input (test_decode.c).
esgx_add_c_test(wasm_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_decode.c LIBS esgx_wasm)
set_tests_properties(wasm_decode PROPERTIES TIMEOUT 600)
