# Installing Distillery like a desktop application, and its Debian package (`cpack -G DEB` in the build folder).
#
#   bin/distillery, bin/distillery-cli           the programs (they find everything below relative to bin/)
#   share/distillery/resources/{recipes,teachers}  the shipped recipes and teachers
#   share/distillery/ort                          the onnxruntime checker (run.js + its two npm packages)
#   share/distillery/doc                          README.md and docs/ (Help > Documentation)
#   share/applications, share/metainfo, share/icons/hicolor   the menu entry, AppStream data and icons
#   share/bash-completion/completions, share/man/man1          shell completion and man pages
#
# Translations are embedded in the workbench (:/i18n), so they travel with bin/distillery.
include(GNUInstallDirs)

set(DISTILLERY_DATA_DIR ${CMAKE_INSTALL_DATADIR}/distillery)
set(DISTILLERY_APP_ID org.distillery.Distillery)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/recipes ${PROJECT_SOURCE_DIR}/resources/teachers
        DESTINATION ${DISTILLERY_DATA_DIR}/resources)

# The onnxruntime checker: run.js and the runtime parts of onnxruntime-node / onnxruntime-common that
# scripts/setup.sh installed with npm (not npm's install-script dependencies, not other platforms' binaries).
option(DISTILLERY_INSTALL_ORT "Install the onnxruntime checker (needs scripts/setup.sh to have run npm)" ON)
if(DISTILLERY_INSTALL_ORT)
  set(ort_src ${PROJECT_SOURCE_DIR}/scripts/ort)
  set(ort_dst ${DISTILLERY_DATA_DIR}/ort)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(ort_arch x64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(ort_arch arm64)
  else()
    message(FATAL_ERROR "onnxruntime-node has no binaries for ${CMAKE_SYSTEM_PROCESSOR}: "
                        "configure with -DDISTILLERY_INSTALL_ORT=OFF")
  endif()
  set(ort_bin node_modules/onnxruntime-node/bin/napi-v3/linux/${ort_arch})
  install(CODE "
    if(NOT EXISTS \"${ort_src}/${ort_bin}/onnxruntime_binding.node\")
      message(FATAL_ERROR \"${ort_src}/${ort_bin} is missing: run scripts/setup.sh (it installs onnxruntime-node \"
                          \"with npm), or configure with -DDISTILLERY_INSTALL_ORT=OFF\")
    endif()")
  install(FILES ${ort_src}/run.js ${ort_src}/package.json DESTINATION ${ort_dst})
  install(DIRECTORY ${ort_src}/node_modules/onnxruntime-common DESTINATION ${ort_dst}/node_modules
          PATTERN "lib" EXCLUDE PATTERN "*.map" EXCLUDE PATTERN "*.d.ts" EXCLUDE)
  install(DIRECTORY ${ort_src}/node_modules/onnxruntime-node/dist DESTINATION ${ort_dst}/node_modules/onnxruntime-node
          PATTERN "*.map" EXCLUDE)
  install(FILES ${ort_src}/node_modules/onnxruntime-node/package.json
          DESTINATION ${ort_dst}/node_modules/onnxruntime-node)
  # libonnxruntime.so.1.20.1 is a byte copy of libonnxruntime.so.1 (the SONAME the binding loads): ship one.
  install(FILES ${ort_src}/${ort_bin}/onnxruntime_binding.node ${ort_src}/${ort_bin}/libonnxruntime.so.1
                ${ort_src}/${ort_bin}/libonnxruntime_providers_shared.so
          DESTINATION ${ort_dst}/${ort_bin})
endif()

# The workbench reads its guides at run time (Help > Documentation), so they live with its data, not in
# share/doc, which minimal systems and containers drop at install time.
set(DISTILLERY_DOC_DIR ${DISTILLERY_DATA_DIR}/doc)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${DISTILLERY_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs DESTINATION ${DISTILLERY_DOC_DIR})

# Desktop integration (these describe the workbench, so they come with it).
if(DISTILLERY_BUILD_GUI)
  set(desktop ${PROJECT_SOURCE_DIR}/resources/desktop)
  install(FILES ${desktop}/${DISTILLERY_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${desktop}/${DISTILLERY_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${desktop}/distillery.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
  foreach(size 16 24 32 48 64 128 256 512)
    install(FILES ${desktop}/icons/distillery-${size}.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps RENAME distillery.png)
  endforeach()
endif()

install(FILES ${PROJECT_SOURCE_DIR}/resources/shell/distillery-cli.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME distillery-cli)

# Man pages, written from the programs' own help text when they are built.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
find_program(GZIP_PROGRAM gzip REQUIRED)
set(man_programs distillery-cli)
if(DISTILLERY_BUILD_GUI)
  list(APPEND man_programs distillery)
endif()
set(man_pages)
foreach(program IN LISTS man_programs)
  set(page ${CMAKE_BINARY_DIR}/man/${program}.1)
  add_custom_command(
    OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
            ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/make_manpage.py $<TARGET_FILE:${program}> ${page}
    COMMAND ${GZIP_PROGRAM} -9nf ${page}
    DEPENDS ${program} ${PROJECT_SOURCE_DIR}/scripts/make_manpage.py
    COMMENT "Writing the man page of ${program}"
    VERBATIM)
  list(APPEND man_pages ${page}.gz)
endforeach()
add_custom_target(distillery_man ALL DEPENDS ${man_pages})
install(FILES ${man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The Debian package. dpkg-shlibdeps derives the library dependencies (runtime packages such as libtorch1.13,
# libqt6widgets6, libopencv-dnn406, libonnx1, libyaml-cpp0.7, libqcustomplot2.1-qt6) from the programs
# themselves; the rest are what they load or read at run time.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME distillery)
set(CPACK_PACKAGE_VENDOR "The Distillery developers")
set(CPACK_PACKAGE_CONTACT "The Distillery developers <distillery@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Knowledge-distillation and quantization workbench")
set(CPACK_PACKAGE_DESCRIPTION
    "Distillery distils a teacher network into a smaller student (KD, FitNets, attention transfer, pixel-wise, \
pair-wise and channel-wise distillation), shows every loss term and the teacher's and student's per-channel \
activation maps live, quantizes the student to int8 and exports verified ONNX. It imports teachers and \
students from ONNX. A Qt workbench and a command-line tool drive the same LibTorch engine.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_INSTALL_DIRECTORY distillery)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES bin/distillery bin/distillery-cli)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# onnxruntime's own libraries ship inside the package; dpkg-shlibdeps (run in the staging root) finds them there.
if(DISTILLERY_INSTALL_ORT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS usr/${DISTILLERY_DATA_DIR}/ort/${ort_bin})
endif()
# OpenBLAS: LibTorch calls BLAS through the libblas.so.3 alternative, which the reference BLAS would otherwise
# serve ~25x slower. The data set: the demo and the Fashion-MNIST recipes read it. Qt's platform plugins and
# Node.js (the onnxruntime checker of --verify) are recommended.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread, dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nodejs, qt6-qpa-plugins, fonts-wqy-microhei")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "qt6-translations-l10n")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/distillery")
include(CPack)
