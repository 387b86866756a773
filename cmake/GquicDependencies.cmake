# Every dependency is a Debian package installed by scripts/install-deps.sh.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.81 REQUIRED)            # Asio and Beast are header-only
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)

# QUIC and HTTP/3 (used by the quic and proxy modules): the versions gquic needs come from
# bookworm-backports on Debian 12.
pkg_check_modules(NGTCP2 IMPORTED_TARGET libngtcp2>=1.11)
pkg_check_modules(NGTCP2_CRYPTO_GNUTLS IMPORTED_TARGET libngtcp2_crypto_gnutls>=1.11)
pkg_check_modules(NGHTTP3 IMPORTED_TARGET libnghttp3>=1.8)

if(GQUIC_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(GQUIC_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# gquic::asio carries Boost.Asio/Beast and the settings they need. Only I/O drivers link it;
# protocol cores must not (tests/lint/check_sans_io.sh checks their sources).
add_library(gquic_asio INTERFACE)
add_library(gquic::asio ALIAS gquic_asio)
target_link_libraries(gquic_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(gquic_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_HAS_CO_AWAIT=1
  BOOST_ASIO_HAS_STD_COROUTINE=1
  BOOST_BEAST_USE_STD_STRING_VIEW)

# DNS wire format (discovery's DNS interface, mDNS) and netlink (WireGuard device setup).
pkg_check_modules(LDNS IMPORTED_TARGET ldns)
pkg_check_modules(LIBNL IMPORTED_TARGET libnl-3.0 libnl-route-3.0)
