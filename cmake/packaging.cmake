# Install rules and the Debian package (`cpack -G DEB` in the build directory).
# vigild's own rule is in daemon/; everything else the package holds is installed from here.
include(GNUInstallDirs)

install(TARGETS vigil-genhash RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/contrib/vigil-realserver DESTINATION ${CMAKE_INSTALL_SBINDIR})
# Debian 12 keeps units and init scripts in /lib/systemd and /etc/init.d whatever the prefix.
install(FILES ${PROJECT_SOURCE_DIR}/contrib/vigild.service DESTINATION /lib/systemd/system)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/contrib/vigild.init DESTINATION /etc/init.d RENAME vigild)
install(FILES ${PROJECT_SOURCE_DIR}/etc/lvs-dr-wlc.conf DESTINATION /etc/vigil RENAME vigild.conf)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/default DESTINATION /etc/default RENAME vigild)

# Maintainer: whoever builds the package, as Debian's tools find them (DEBFULLNAME and DEBEMAIL,
# else the source tree's git identity); -DVIGIL_DEB_MAINTAINER= overrides both.
set(VIGIL_DEB_MAINTAINER "" CACHE STRING "Maintainer field of the Debian package (empty: found)")
set(_maint "${VIGIL_DEB_MAINTAINER}")
if(_maint STREQUAL "" AND DEFINED ENV{DEBEMAIL} AND NOT "$ENV{DEBEMAIL}" STREQUAL "")
  if(DEFINED ENV{DEBFULLNAME} AND NOT "$ENV{DEBFULLNAME}" STREQUAL "")
    set(_maint "$ENV{DEBFULLNAME} <$ENV{DEBEMAIL}>")
  elseif("$ENV{DEBEMAIL}" MATCHES "<")
    set(_maint "$ENV{DEBEMAIL}")
  endif()
endif()
if(_maint STREQUAL "")
  find_program(_git git)
  if(_git)
    execute_process(COMMAND ${_git} -C ${PROJECT_SOURCE_DIR} config user.name
                    OUTPUT_VARIABLE _gname OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${_git} -C ${PROJECT_SOURCE_DIR} config user.email
                    OUTPUT_VARIABLE _gmail OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT _gname STREQUAL "" AND NOT _gmail STREQUAL "")
      set(_maint "${_gname} <${_gmail}>")
    endif()
  endif()
endif()
if(_maint STREQUAL "")
  set(_maint "Vigil maintainers <vigil@localhost>")
endif()
set(VIGIL_DEB_CONTACT "${_maint}")

set(_doc ${PROJECT_BINARY_DIR}/deb-doc)
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(_epoch $ENV{SOURCE_DATE_EPOCH})
else()
  string(TIMESTAMP _epoch "%s" UTC)
endif()
execute_process(COMMAND date -u -R -d @${_epoch} OUTPUT_VARIABLE VIGIL_DEB_DATE
                OUTPUT_STRIP_TRAILING_WHITESPACE)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in ${_doc}/changelog @ONLY)
add_custom_command(OUTPUT ${_doc}/changelog.gz
                   COMMAND sh -c "gzip -9n < \"$0\" > \"$1\"" ${_doc}/changelog ${_doc}/changelog.gz
                   DEPENDS ${_doc}/changelog VERBATIM)
add_custom_target(deb-doc ALL DEPENDS ${_doc}/changelog.gz)
install(FILES ${_doc}/changelog.gz ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${VIGIL_DEB_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "high-availability daemon: VRRP, health checks, LVS")
# The extended description only: CPack puts the summary on the first line and indents the rest.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "vigild reads a keepalived.conf file as it is and runs, in one process, a
VRRP engine (v2 and v3, IPv4 and IPv6), TCP, HTTP, SSL, DNS, SMTP and script
health checks, and a virtual-server table programmed into the kernel's IPVS
or an nftables table. It interoperates with keepalived on the wire and takes
keepalived's command line.

Also: vigilctl (run-time control: drain, enable, maintenance, the live
table), vigil-genhash (page digests for HTTP checks) and vigil-realserver
(the real-server side of LVS-DR and LVS-TUN).")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# vigil-realserver and the init script; libnftables1, which vigild opens at run time (shlibdeps
# cannot see it), and libssl3, which only the TLS plugin links (vigild opens it for SSL_GET).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2, kmod, libnftables1, libssl3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "ipvsadm, nftables")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
