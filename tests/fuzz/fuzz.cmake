# The fuzz targets (tests/fuzz/<name>_fuzz.cpp, README.md beside this file), included by
# CMakeLists.txt in both kinds of build:
#
# - the fuzz build (SAPHAN_FUZZ=ON, clang, `make fuzz`): one libFuzzer program fuzz_<name> per
#   target, linked with -fsanitize=fuzzer,address,undefined against the modules it names below
#   (built instrumented, so only those modules are compiled there);
# - the normal build: each target compiled with tests/fuzz/replay_main.cpp into
#   saphan_fuzz_replay_<name> (and _sanitized, against the sanitizer copy of the modules), which
#   runs every file of tests/fuzz/corpus/<name>/ once; CTest runs each as fuzz.<name>.
#
# A target and the modules it needs (their own dependencies follow).
set(SAPHAN_FUZZ_TARGETS
    json request_envelope forwarded_request provider_response hub_response pattern export_verify
    tsa_token http_target)
set(SAPHAN_FUZZ_MODULES_json core)
set(SAPHAN_FUZZ_MODULES_request_envelope exchange)
set(SAPHAN_FUZZ_MODULES_forwarded_request exchange)
set(SAPHAN_FUZZ_MODULES_provider_response exchange)
set(SAPHAN_FUZZ_MODULES_hub_response exchange)
set(SAPHAN_FUZZ_MODULES_pattern schema)
set(SAPHAN_FUZZ_MODULES_export_verify evidence)
set(SAPHAN_FUZZ_MODULES_tsa_token tsa)
set(SAPHAN_FUZZ_MODULES_http_target hub)

set(SAPHAN_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)

# Writes the seed inputs that need keys, certificates or valid identifiers (README.md: Seeds), in
# either build; never part of `make test` or `make fuzz`, built on demand.
add_executable(saphan_fuzz_seeds EXCLUDE_FROM_ALL ${PROJECT_SOURCE_DIR}/tests/fuzz/make_seeds.cpp)
target_link_libraries(saphan_fuzz_seeds PRIVATE saphan_evidence saphan_exchange saphan_tsa
                                                saphan_pki saphan_schema saphan_crypto saphan_core)
if(SAPHAN_FUZZ)
  target_link_options(saphan_fuzz_seeds PRIVATE -fsanitize=address,undefined)
endif()

function(saphan_fuzz_settings target)
  # Helpers are included from the project root ("tests/fuzz/fuzz_support.hpp"); the TSA and
  # export targets read tests/fuzz/data.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${target} PRIVATE SAPHAN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

if(SAPHAN_FUZZ)
  add_custom_target(saphan_fuzzers)
  foreach(name IN LISTS SAPHAN_FUZZ_TARGETS)
    add_executable(fuzz_${name} ${SAPHAN_FUZZ_DIR}/${name}_fuzz.cpp)
    foreach(module IN LISTS SAPHAN_FUZZ_MODULES_${name})
      target_link_libraries(fuzz_${name} PRIVATE saphan_${module})
    endforeach()
    saphan_fuzz_settings(fuzz_${name})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    add_dependencies(saphan_fuzzers fuzz_${name})
  endforeach()
  return()
endif()

# Replay: the driver once, each target's code once (with the sanitizers when there is a
# sanitizer copy, like the unit tests), linked into a plain and a sanitized program.
add_library(saphan_fuzz_replay_main OBJECT ${SAPHAN_FUZZ_DIR}/replay_main.cpp)
add_custom_target(saphan_fuzz_replay_sanitized)
foreach(name IN LISTS SAPHAN_FUZZ_TARGETS)
  set(objects saphan_fuzz_${name}_objects)
  add_library(${objects} OBJECT ${SAPHAN_FUZZ_DIR}/${name}_fuzz.cpp)
  saphan_fuzz_settings(${objects})
  set(plain_libraries)
  set(sanitized_libraries)
  foreach(module IN LISTS SAPHAN_FUZZ_MODULES_${name})
    list(APPEND plain_libraries saphan_${module})
    list(APPEND sanitized_libraries saphan_${module}_sanitized)
  endforeach()
  target_link_libraries(${objects} PRIVATE ${plain_libraries})

  set(replay saphan_fuzz_replay_${name})
  add_executable(${replay} $<TARGET_OBJECTS:${objects}> $<TARGET_OBJECTS:saphan_fuzz_replay_main>)
  target_link_libraries(${replay} PRIVATE ${plain_libraries})
  add_test(NAME fuzz.${name} COMMAND ${replay} ${SAPHAN_FUZZ_DIR}/corpus/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 120)

  if(SAPHAN_SANITIZE)
    target_compile_options(${objects} PRIVATE -O0 -g1 -UNDEBUG ${SAPHAN_SANITIZER_FLAGS})
    target_link_options(${replay} PRIVATE -fsanitize=address,undefined)
    add_executable(${replay}_sanitized $<TARGET_OBJECTS:${objects}>
                                       $<TARGET_OBJECTS:saphan_fuzz_replay_main>)
    target_link_libraries(${replay}_sanitized PRIVATE ${sanitized_libraries})
    add_dependencies(saphan_fuzz_replay_sanitized ${replay}_sanitized)
    add_test(NAME "sanitized: fuzz.${name}" COMMAND ${replay}_sanitized
                                                    ${SAPHAN_FUZZ_DIR}/corpus/${name})
    set_tests_properties("sanitized: fuzz.${name}" PROPERTIES LABELS "fuzz;sanitize" TIMEOUT 240)
  endif()
endforeach()
