# The version both binaries print (--version): project(VERSION) and the git
# commit of the tree at configure time, "unknown" outside a git checkout.
# A commit (or a checkout) re-runs the configuration, so the commit shown
# follows the tree.
set(EDGECA_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=7 HEAD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE commit_rc ERROR_QUIET)
  if(commit_rc EQUAL 0 AND commit MATCHES "^[0-9a-f]+$")
    set(EDGECA_COMMIT "${commit}")
    # HEAD, and the branch it names, are what a commit or checkout changes
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --absolute-git-dir
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE git_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --symbolic-full-name HEAD
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE head_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-common-dir
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE common_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    get_filename_component(common_dir "${common_dir}" ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
    foreach(f "${git_dir}/HEAD" "${common_dir}/${head_ref}" "${common_dir}/packed-refs")
      if(EXISTS "${f}" AND NOT IS_DIRECTORY "${f}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${f}")
      endif()
    endforeach()
  endif()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/edgeca_version.h.in
               ${CMAKE_BINARY_DIR}/generated/edgeca_version.h @ONLY)
include_directories(${CMAKE_BINARY_DIR}/generated)
