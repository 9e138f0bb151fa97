# Packaging, common to every generator (OBS style: common settings here,
# one file per package format beside it). Included last from the root
# CMakeLists.txt, after every target has declared its own install() rule:
#   tstudio            app/cli/CMakeLists.txt
#   transfer-studio    app/gui/CMakeLists.txt (only with TS_BUILD_GUI)
# `make package` (cd build && cpack -G DEB) builds
# build/transfer-studio_<version>_amd64.deb.

# Shared data: share/transfer-studio/{imagenet_categories.txt,docs/}
set(TS_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/transfer-studio)
install(FILES ${PROJECT_SOURCE_DIR}/resources/imagenet_categories.txt
  DESTINATION ${TS_INSTALL_DATADIR} COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${TS_INSTALL_DATADIR}/docs COMPONENT app OPTIONAL)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
  DESTINATION ${TS_INSTALL_DATADIR}/docs COMPONENT app
  PATTERN ".gitkeep" EXCLUDE)

# Desktop integration: the launcher entry and the icon (scalable + 256 px).
install(FILES ${PROJECT_SOURCE_DIR}/resources/transfer-studio.desktop
  DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/transfer-studio.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT app)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/transfer-studio-256.png
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/256x256/apps
  RENAME transfer-studio.png COMPONENT app)

set(CPACK_PACKAGE_NAME "transfer-studio")
set(CPACK_PACKAGE_VENDOR "Transfer Studio developers")
set(CPACK_PACKAGE_CONTACT "Transfer Studio developers <transfer-studio@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
  "Transfer Studio fine-tunes pretrained convolutional networks (the torchvision
model zoo, reimplemented natively on LibTorch) on your own labelled image
folders, shows what happens inside the network, and exports the result.
It ships a desktop application (transfer-studio) and a headless command-line
tool (tstudio) that runs the same projects.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "transfer-studio")
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
