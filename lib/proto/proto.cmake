# lib/proto tests (owner: H7).
esgx_add_c_test(proto_codec SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_proto.c LIBS esgx_proto pthread)
# libFuzzer target (ESGX_FUZZ=ON, clang): ./fuzz_proto -max_total_time=60
if(ESGX_FUZZ)
  target_compile_options(esgx_proto PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(fuzz_proto ${CMAKE_CURRENT_LIST_DIR}/fuzz_proto.c)
  target_link_libraries(fuzz_proto PRIVATE esgx_proto)
  target_compile_options(fuzz_proto PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_proto PRIVATE -fsanitize=fuzzer)
endif()
