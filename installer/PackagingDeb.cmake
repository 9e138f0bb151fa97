# Debian specifics of the package (see Packaging.cmake for the common part).
# The dependencies are computed by dpkg-shlibdeps from the binaries, so the
# package asks for exactly the libtorch / OpenCV / Qt runtime packages that
# the build linked against.
set(CPACK_DEBIAN_PACKAGE_NAME "transfer-studio")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # transfer-studio_<version>-<release>_<arch>.deb
# The Debian revision: the package is version <project version>-<release>;
# installer/debian/changelog's newest entry names the same.
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TS_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
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
