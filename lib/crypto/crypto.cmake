# lib/crypto tests of helper H2 (everything but BLAKE3). Included by CMakeLists.txt here.
find_package(Threads REQUIRED)
target_link_libraries(esgx_crypto PRIVATE Threads::Threads)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

# unit tests: known answers, round trips, every documented malformed input
esgx_add_c_test(crypto_unit SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_crypto.c
                LIBS esgx_crypto Threads::Threads)
# interop vectors made with eciesjs / @noble/curves / @scure/bip32 (shared/vectors/interop)
esgx_add_c_test(crypto_vectors SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_crypto_vectors.c
                LIBS esgx_crypto PkgConfig::JANSSON)
