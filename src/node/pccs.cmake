# PCCS collateral fetching and caching (pccs.c): libcurl for HTTP(S), lib/attest to
# parse quotes and check the assembled collateral.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
find_package(OpenSSL 3 REQUIRED)
target_link_libraries(esgxd_core PUBLIC esgx_attest PkgConfig::CURL OpenSSL::Crypto)
# pccs.c against tests/fake_pccs.py serving the fleek-sgx vectors (skips without them).
esgx_add_c_test(node_pccs SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_pccs.c
                ${CMAKE_CURRENT_SOURCE_DIR}/pccs.c
                LIBS esgx_attest PkgConfig::CURL PkgConfig::JANSSON OpenSSL::Crypto
                Threads::Threads)
target_include_directories(node_pccs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(node_pccs PROPERTIES TIMEOUT 120)
