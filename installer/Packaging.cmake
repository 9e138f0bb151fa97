# Packaging, common to every generator (OBS style: common settings here,
# one file per package format beside it). Included last from the root
# CMakeLists.txt, after every target has declared its own install() rule:
#   tstudio            app/cli/CMakeLists.txt
#   transfer-studio    app/gui/CMakeLists.txt (only with TS_BUILD_GUI)
# `make package` (cd build && cpack -G DEB) builds
# build/transfer-studio_<version>-<release>_<arch>.deb.
#
# What the package holds, besides the two programs:
#   share/transfer-studio/imagenet_categories.txt
#   share/doc/transfer-studio/   README.md with the docs/ and bench/ pages it
#                                links to (same layout as the source tree, so
#                                its relative links work); the .deb adds
#                                copyright and changelog.Debian.gz there
#                                (PackagingDeb.cmake)
#   share/man/man1/              tstudio.1.gz, tstudio-<command>.1.gz,
#                                transfer-studio.1.gz, generated from --help
#   share/applications/, share/icons/hicolor/, share/mime/packages/
#                                the launcher, its icon, the *.tsproj MIME type

set(TS_PACKAGE_NAME transfer-studio)
set(TS_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/${TS_PACKAGE_NAME})
set(TS_INSTALL_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/${TS_PACKAGE_NAME})
set(TS_INSTALL_MAN1DIR ${CMAKE_INSTALL_MANDIR}/man1)
# The project's own names for itself (there is no older upstream to follow).
set(TS_PACKAGE_MAINTAINER "Transfer Studio developers <dev@transfer-studio.org>")

install(FILES ${PROJECT_SOURCE_DIR}/resources/imagenet_categories.txt
  DESTINATION ${TS_INSTALL_DATADIR} COMPONENT app)

# Documentation.
install(FILES ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${TS_INSTALL_DOCDIR} COMPONENT app)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
  DESTINATION ${TS_INSTALL_DOCDIR}/docs COMPONENT app
  PATTERN ".gitkeep" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/bench/RESULTS.md
  DESTINATION ${TS_INSTALL_DOCDIR}/bench COMPONENT app OPTIONAL)

# Man pages, written from the programs' own --help by
# cmake/GenerateManPages.cmake. Running every subcommand's --help takes a few
# seconds (each run loads LibTorch), so it happens when installing (cpack,
# cmake --install) rather than on every build, and only when a program is
# newer than its pages. They are kept in build/man/man1 (read one with
# man -l build/man/man1/tstudio-train.1.gz).
set(TS_MAN_DIR ${PROJECT_BINARY_DIR}/man/man1)
set(TS_MAN_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/GenerateManPages.cmake)
set(TS_MAN_PROGRAMS tstudio)
if(TARGET transfer-studio)
  list(APPEND TS_MAN_PROGRAMS transfer-studio)
endif()
foreach(program IN LISTS TS_MAN_PROGRAMS)
  set(see_also ${TS_MAN_PROGRAMS})
  list(REMOVE_ITEM see_also ${program})
  set(offscreen OFF)
  if(program STREQUAL "transfer-studio")
    set(offscreen ON)   # QCommandLineParser answers --help inside a QApplication
  endif()
  set(args -DPROGRAM=$<TARGET_FILE:${program}> -DNAME=${program} -DVERSION=${PROJECT_VERSION}
    -DOUT_DIR=${TS_MAN_DIR} -DOFFSCREEN=${offscreen} "-DSEE_ALSO=${see_also}")
  # At install time, for the prefix being installed to (cpack: /usr):
  # regenerate when the program or the script is newer than the pages, or
  # the prefix changed. The stamp holds the prefix.
  set(stamp ${TS_MAN_DIR}/.${program}.stamp)
  string(REPLACE ";" "\" \"" quoted "${args}")
  install(CODE "
    set(ts_doc_dir \"\${CMAKE_INSTALL_PREFIX}/${TS_INSTALL_DOCDIR}\")
    set(ts_stamped \"\")
    if(EXISTS \"${stamp}\")
      file(READ \"${stamp}\" ts_stamped)
    endif()
    if(NOT ts_stamped STREQUAL ts_doc_dir OR \"$<TARGET_FILE:${program}>\" IS_NEWER_THAN \"${stamp}\"
       OR \"${TS_MAN_SCRIPT}\" IS_NEWER_THAN \"${stamp}\")
      execute_process(COMMAND \"${CMAKE_COMMAND}\" \"${quoted}\" \"-DDOC_DIR=\${ts_doc_dir}\"
        -P \"${TS_MAN_SCRIPT}\" RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR \"Writing the man pages of ${program} failed\")
      endif()
      file(WRITE \"${stamp}\" \"\${ts_doc_dir}\")
    endif()" COMPONENT app)
endforeach()
install(DIRECTORY ${TS_MAN_DIR}/ DESTINATION ${TS_INSTALL_MAN1DIR} COMPONENT app
  FILES_MATCHING PATTERN "*.1.gz")

# Desktop integration: the launcher entry, the icon (scalable + 256 px) and
# the MIME type of project files. The triggers of desktop-file-utils,
# hicolor-icon-theme and shared-mime-info update their caches, so the
# package needs no maintainer scripts.
install(FILES ${PROJECT_SOURCE_DIR}/resources/transfer-studio.desktop
  DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/transfer-studio.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/transfer-studio-256.png
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/256x256/apps
  RENAME transfer-studio.png COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/resources/mime/transfer-studio.xml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages COMPONENT app)

set(CPACK_PACKAGE_NAME "${TS_PACKAGE_NAME}")
set(CPACK_PACKAGE_VENDOR "Transfer Studio developers")
set(CPACK_PACKAGE_CONTACT "${TS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "transfer learning on images with pretrained CNNs")
set(CPACK_PACKAGE_DESCRIPTION
  "Transfer Studio fine-tunes pretrained convolutional networks (the torchvision
model zoo, reimplemented natively on LibTorch) on your own labelled image
folders, shows what happens inside the network, and exports the result.
It ships a desktop application (transfer-studio) and a headless command-line
tool (tstudio) that runs the same projects.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "${TS_PACKAGE_NAME}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_BINARY_DIR}")
if(EXISTS ${PROJECT_SOURCE_DIR}/README.md)
  set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
endif()
# One package with everything (no per-component packages).
set(CPACK_COMPONENTS_ALL app)
set(CPACK_DEB_COMPONENT_INSTALL OFF)

if(UNIX AND NOT APPLE)
  include(${CMAKE_CURRENT_LIST_DIR}/PackagingDeb.cmake)
endif()

include(CPack)
