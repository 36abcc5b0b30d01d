# RA-TLS and key sharing (ratls.c, keyshare.c; helper H9). Tests prefix ratls_.
# The public header takes struct ssl_st / ssl_ctx_st pointers, and keyshare.c checks keys
# with bip32_key_parse, so both libraries become part of esgx_attest's interface.
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
target_link_libraries(esgx_attest PUBLIC OpenSSL::SSL OpenSSL::Crypto esgx_crypto
                      Threads::Threads)

# in-process: certificate contents, verification failures, collateral provider, parsing
esgx_add_c_test(ratls_cert SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ratls_cert.c
                LIBS esgx_attest)
# real processes on 127.0.0.1: forked servers, mutual RA-TLS, key sharing, refusals
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_ratls_tls.c)
  esgx_add_c_test(ratls_tls SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ratls_tls.c
                  LIBS esgx_attest)
  set_tests_properties(ratls_tls PROPERTIES TIMEOUT 300)
endif()

# bench/ratls_bench.sh drives this program (handshake timings; never run by ctest).
if(EXISTS ${CMAKE_SOURCE_DIR}/bench/ratls_bench.c)
  add_executable(ratls_bench ${CMAKE_SOURCE_DIR}/bench/ratls_bench.c)
  target_link_libraries(ratls_bench PRIVATE esgx_attest)
endif()
