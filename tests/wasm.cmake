# tests/wasm.cmake: end-to-end tests of the wasm runtime through `esgx run`
# (owner: the bench/run/fuzz helper). Each script skips (77) when its tools are absent.
esgx_add_script_test(wasm_run ${CMAKE_CURRENT_SOURCE_DIR}/wasm_run.sh)
esgx_add_script_test(wasm_kernels ${CMAKE_CURRENT_SOURCE_DIR}/wasm_run_kernels.sh)
esgx_add_script_test(wasm_hostile ${CMAKE_CURRENT_SOURCE_DIR}/wasm_hostile.sh)
esgx_add_script_test(wasm_fuel ${CMAKE_CURRENT_SOURCE_DIR}/wasm_fuel.sh)
esgx_add_script_test(wasm_fuel_oracle ${CMAKE_CURRENT_SOURCE_DIR}/wasm_fuel_oracle.sh)
set_tests_properties(wasm_kernels wasm_hostile wasm_fuel wasm_fuel_oracle PROPERTIES TIMEOUT 900)
