# Debian specifics of the package (see Packaging.cmake for the common part):
# the files from installer/debian/ (copyright, changelog, lintian overrides)
# and the control fields.

# The Debian revision: the package is version <project version>-<release>.
set(TS_DEB_RELEASE 1)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
  DESTINATION ${TS_INSTALL_DOCDIR} COMPONENT app)
# Why the package differs from what lintian expects of a Debian upload.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME ${TS_PACKAGE_NAME} COMPONENT app)

# The Debian changelog, compressed as policy asks (gzip -9n: no time stamp).
# Its newest entry must name the package's version.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/debian/changelog TS_CHANGELOG_HEAD LIMIT_COUNT 1)
if(NOT TS_CHANGELOG_HEAD MATCHES "^${TS_PACKAGE_NAME} \\(${PROJECT_VERSION}-${TS_DEB_RELEASE}\\) ")
  message(WARNING "installer/debian/changelog starts with \"${TS_CHANGELOG_HEAD}\", not with version "
    "${PROJECT_VERSION}-${TS_DEB_RELEASE}: add an entry for this version at its top before packaging.")
endif()
find_program(TS_GZIP gzip)
if(TS_GZIP)
  set(TS_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/package/changelog.Debian.gz)
  add_custom_command(OUTPUT ${TS_CHANGELOG_GZ}
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_LIST_DIR}/debian/changelog ${PROJECT_BINARY_DIR}/package/changelog.Debian
    COMMAND ${TS_GZIP} -9nf ${PROJECT_BINARY_DIR}/package/changelog.Debian
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/debian/changelog
    COMMENT "Compressing the Debian changelog" VERBATIM)
  add_custom_target(ts_package_changelog ALL DEPENDS ${TS_CHANGELOG_GZ})
  install(FILES ${TS_CHANGELOG_GZ} DESTINATION ${TS_INSTALL_DOCDIR} COMPONENT app)
  if(TARGET test_package)
    add_dependencies(test_package ts_package_changelog)  # its cpack run installs the file
  endif()
endif()

set(CPACK_DEBIAN_PACKAGE_NAME "transfer-studio")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # transfer-studio_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TS_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
# The dependencies are computed by dpkg-shlibdeps from the binaries, so the
# package asks for exactly the libtorch / OpenCV / Qt runtime packages that
# the build linked against.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The optimised BLAS: without it LibTorch falls back to the reference BLAS
# (~10x slower linear layers). Not a link dependency, so named here.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-pthread")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-torchvision")
find_program(TS_DPKG dpkg)
if(TS_DPKG)
  execute_process(COMMAND ${TS_DPKG} --print-architecture
    OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
