# BLAKE3 tests (owner: H1). Included by lib/crypto/CMakeLists.txt.
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
esgx_add_c_test(blake3_vectors SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_blake3.c
                LIBS esgx_crypto PkgConfig::JANSSON)
esgx_add_c_test(blake3_b3sum SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_blake3_b3sum.c
                LIBS esgx_crypto)
esgx_add_c_test(blake3_tree SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_blake3_tree.c
                LIBS esgx_crypto)
# The tree test's plain reference BLAKE3 dominates its run time in Debug/ASan builds.
target_compile_options(blake3_tree PRIVATE -O2)
