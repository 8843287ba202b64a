rill_sources(server.c prometheus.c json.c)

# The web console: static files compiled into the library as a GResource
# bundle (no CDN, nothing to install). server.c looks files up in the bundle
# itself (rill__console_get_resource).
find_program(GLIB_COMPILE_RESOURCES glib-compile-resources REQUIRED)
set(_console_dir ${CMAKE_CURRENT_LIST_DIR}/console)
set(_console_out ${PROJECT_BINARY_DIR}/generated/runtime/http)
file(GLOB _console_files CONFIGURE_DEPENDS ${_console_dir}/*.html ${_console_dir}/*.js ${_console_dir}/*.css)
add_custom_command(
  OUTPUT ${_console_out}/console-resources.c ${_console_out}/console.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_console_out}
  COMMAND ${GLIB_COMPILE_RESOURCES} --sourcedir=${_console_dir} --c-name=rill__console --manual-register --internal
          --generate-source --target=${_console_out}/console-resources.c ${_console_dir}/console.gresource.xml
  COMMAND ${GLIB_COMPILE_RESOURCES} --sourcedir=${_console_dir} --c-name=rill__console --manual-register --internal
          --generate-header --target=${_console_out}/console.h ${_console_dir}/console.gresource.xml
  DEPENDS ${_console_dir}/console.gresource.xml ${_console_files}
  COMMENT "Compiling the web console resources")
set_source_files_properties(${_console_out}/console-resources.c PROPERTIES GENERATED TRUE COMPILE_OPTIONS "-w")
list(APPEND RILL_SOURCES ${_console_out}/console-resources.c)
