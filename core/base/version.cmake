# Writes version_info.cpp at build time (every build runs it; configure_file rewrites the file only
# when the text changes, so nothing recompiles unless the commit or the version did).
#   cmake -DSOURCE_DIR=<repo> -DVERSION=<x.y.z> -DIN=<version_info.cpp.in> -DOUT=<version_info.cpp> -P version.cmake
# Outside a git checkout (or without git) the commit is empty: "unknown commit".
set(QS_VERSION "${VERSION}")
set(QS_COMMIT "")
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE failed OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  # Only when SOURCE_DIR is the top of the checkout, not a tarball unpacked inside another repository.
  execute_process(COMMAND ${GIT_EXECUTABLE} -C "${SOURCE_DIR}" rev-parse --show-toplevel
                  OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT failed AND head AND top)
    get_filename_component(top "${top}" REALPATH)
    get_filename_component(src "${SOURCE_DIR}" REALPATH)
    if(top STREQUAL src)
      set(QS_COMMIT "${head}")
      execute_process(COMMAND ${GIT_EXECUTABLE} -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                      OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(changes)
        set(QS_COMMIT "${head}-dirty")
      endif()
    endif()
  endif()
endif()
configure_file("${IN}" "${OUT}" @ONLY)
