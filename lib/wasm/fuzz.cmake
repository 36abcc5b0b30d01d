# lib/wasm/fuzz.cmake: the libFuzzer target fuzz_wasm (only with ESGX_FUZZ=ON, clang).
# The runtime library gets coverage instrumentation (fuzzer-no-link) so libFuzzer can
# steer; the sanitizers come from the top-level ESGX_FUZZ flags.
# Run it with lib/wasm/fuzz_run.sh SECONDS.
if(ESGX_FUZZ)
  target_compile_options(esgx_wasm PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(fuzz_wasm ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_wasm.c)
  target_link_libraries(fuzz_wasm PRIVATE esgx_wasm)
  target_compile_options(fuzz_wasm PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_wasm PRIVATE -fsanitize=fuzzer)
endif()
