# Run at every build (not at configure time): writes OUT, a C file with the
# git revision of the sources being compiled and whether tracked files
# differ from it, rewritten only when that changes (no needless rebuild).
# -DSRC=<source dir> -DOUT=<file>
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE rev
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
set(dirty -1)
if(rc EQUAL 0 AND rev)
  execute_process(COMMAND git update-index -q --refresh WORKING_DIRECTORY ${SRC}
                  OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND git diff-index --quiet HEAD -- WORKING_DIRECTORY ${SRC}
                  RESULT_VARIABLE diff_rc OUTPUT_QUIET ERROR_QUIET)
  if(diff_rc EQUAL 0)
    set(dirty 0)
  elseif(diff_rc EQUAL 1)
    set(dirty 1)
  endif()
else()
  set(rev "unknown")
endif()
set(text "/* Generated at build time by cmake/build_rev.cmake. */\n#include \"results/provenance.h\"\nconst char *results_git_rev(void) { return \"${rev}\"; }\nint results_git_dirty(void) { return ${dirty}; }\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
