# Unit tests of esgxd's objects (owner: H7), linked against esgxd_core: the supervisor
# with the real esgx-enclave, the HTTP server on a loopback port with a real content
# store, registry and supervisor.
esgx_add_c_test(node_supervisor SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_supervisor.c
                LIBS esgxd_core)
esgx_add_c_test(node_http_unit SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_http.c
                LIBS esgxd_core)
set_tests_properties(node_supervisor node_http_unit PROPERTIES TIMEOUT 180)
