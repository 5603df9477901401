# Manual pages quantscope-cli(1) and quantscope(1), made at build time by Debian's help2man from the
# programs' own --help output, so that they never drift from it. packaging/man/*.h2m add the sections
# --help has no room for (description, examples, files, see also). Installed gzipped into
# share/man/man1. Without help2man (scripts/install-deps.sh installs it) there are no manual pages.
find_program(QUANTSCOPE_HELP2MAN help2man)
find_program(QUANTSCOPE_GZIP gzip)
if(NOT QUANTSCOPE_HELP2MAN OR NOT QUANTSCOPE_GZIP)
  message(WARNING "help2man or gzip not found: no manual pages (scripts/install-deps.sh installs help2man)")
  return()
endif()

set(QUANTSCOPE_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(QUANTSCOPE_MAN_PAGES)
set(pages "quantscope-cli|headless personalized mixed-precision quantization of speech models")
if(QUANTSCOPE_BUILD_GUI)
  list(APPEND pages "quantscope|desktop studio for personalized mixed-precision quantization of speech models")
endif()
foreach(page IN LISTS pages)
  string(REPLACE "|" ";" page "${page}")
  list(GET page 0 program)
  list(GET page 1 summary)
  set(include ${PROJECT_SOURCE_DIR}/packaging/man/${program}.h2m)
  set(out ${QUANTSCOPE_MAN_DIR}/${program}.1)
  add_custom_command(OUTPUT ${out}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${QUANTSCOPE_MAN_DIR}
    COMMAND ${QUANTSCOPE_HELP2MAN} --no-info --section=1 --version-string=${PROJECT_VERSION}
            --name=${summary} --include=${include} --output=${out} $<TARGET_FILE:${program}>
    COMMAND ${QUANTSCOPE_GZIP} -9nf ${out}
    DEPENDS ${program} ${include}
    COMMENT "Generating the manual page ${program}(1)"
    VERBATIM)
  list(APPEND QUANTSCOPE_MAN_PAGES ${out}.gz)
endforeach()
add_custom_target(manpages ALL DEPENDS ${QUANTSCOPE_MAN_PAGES})
install(FILES ${QUANTSCOPE_MAN_PAGES} DESTINATION share/man/man1)
