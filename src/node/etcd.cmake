# The etcd client (etcd.c) and the node's HTTP client (httpc.c) against a real etcd.
esgx_add_c_test(node_etcd SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_etcd.c
                ${CMAKE_CURRENT_SOURCE_DIR}/etcd.c ${CMAKE_CURRENT_SOURCE_DIR}/httpc.c
                LIBS esgx_common PkgConfig::CURL PkgConfig::JANSSON OpenSSL::Crypto
                Threads::Threads)
set_tests_properties(node_etcd PROPERTIES TIMEOUT 120)
