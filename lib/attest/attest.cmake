# Tests of lib/attest (prefix attest_).
esgx_add_c_test(attest_real SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_attest_real.c
                LIBS esgx_attest)
set_tests_properties(attest_real PROPERTIES TIMEOUT 900)
esgx_add_c_test(attest_sim SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_attest_sim.c
                LIBS esgx_attest)
# libFuzzer target (only in the fuzz flavour, clang): quotes, PEM, PCK extension, JSON.
if(ESGX_FUZZ)
  # coverage instrumentation for the library itself, so the fuzzer sees its branches
  target_compile_options(esgx_attest PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(fuzz_attest ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_attest.c)
  target_compile_options(fuzz_attest PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_attest PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_attest PRIVATE esgx_attest OpenSSL::Crypto)
endif()
