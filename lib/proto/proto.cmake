# lib/proto tests (owner: H7).
esgx_add_c_test(proto_codec SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_proto.c LIBS esgx_proto pthread)
