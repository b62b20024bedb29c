# edgeca_embed(<name> <output.c> <symbol> <dir> <glob> [<glob>...])
# Turns the files of <dir> matching any <glob> into a C array
#   const struct edgeca_embedded_file <symbol>[] (terminated by a NULL name)
# so the binaries carry their migrations and API description with them.
function(edgeca_embed name output symbol dir glob)
  set(patterns "")
  foreach(g IN ITEMS ${glob} ${ARGN})
    list(APPEND patterns "${dir}/${g}")
  endforeach()
  file(GLOB files CONFIGURE_DEPENDS ${patterns})
  edgeca_embed_files(${name} ${output} ${symbol} "${files}" "")
endfunction()

# edgeca_embed_tree(<name> <output.c> <symbol> <dir>)
# Like edgeca_embed, for every file under <dir> and its folders, each named
# by its path relative to <dir> ("app.js", "pages/cas.js"); binary-safe.
function(edgeca_embed_tree name output symbol dir)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${dir}/*)
  edgeca_embed_files(${name} ${output} ${symbol} "${files}" -DBASE=${dir})
endfunction()

# The rule of both: <output.c> from the files (named relative to BASE when
# base_arg is -DBASE=<dir>, else by their file name).
function(edgeca_embed_files name output symbol files base_arg)
  list(SORT files)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DSYMBOL=${symbol} ${base_arg}
            "-DFILES=${files}" -P ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${output}"
    VERBATIM)
  add_custom_target(${name} DEPENDS ${output})
endfunction()
