# `cpack -G DEB` in the build folder produces quantscope_<version>_amd64.deb with both programs.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/quantscope.desktop DESTINATION share/applications)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/quantscope.svg DESTINATION share/icons/hicolor/scalable/apps)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/demo/ DESTINATION share/quantscope/demo OPTIONAL)
# The ONNX exporter core/export runs (core/export/onnx_export.h looks for it here when installed).
install(FILES ${PROJECT_SOURCE_DIR}/tools/onnx/export_onnx.py ${PROJECT_SOURCE_DIR}/tools/onnx/onnx_rewrite.py
        DESTINATION share/quantscope/tools/onnx)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/bash-completion/quantscope-cli DESTINATION share/bash-completion/completions)
include(${PROJECT_SOURCE_DIR}/packaging/ManPages.cmake)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME quantscope)
set(CPACK_PACKAGE_VENDOR "quantscope")
set(CPACK_PACKAGE_CONTACT "quantscope maintainers <maintainers@quantscope.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
# export --format onnx runs tools/onnx/export_onnx.py with them.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-torch, python3-onnx")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
