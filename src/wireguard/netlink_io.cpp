// rtnetlink through libnl-route; see netlink_io.h.
#include "gquic/wireguard/netlink_io.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>

namespace gquic::wireguard::netlink {

namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const noexcept { nl_socket_free(s); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const noexcept { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* a) const noexcept { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const noexcept { nl_addr_put(a); }
};
struct RouteDeleter {
  void operator()(rtnl_route* r) const noexcept { rtnl_route_put(r); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;
using Link = std::unique_ptr<rtnl_link, LinkDeleter>;

// libnl's negative NLE_* codes, as the closest errno.
std::error_code nl_error(int err) noexcept {
  switch (-err) {
    case NLE_EXIST:
      return std::error_code(EEXIST, std::system_category());
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      return std::error_code(ENODEV, std::system_category());
    case NLE_PERM:
      return std::error_code(EPERM, std::system_category());
    case NLE_INVAL:
      return std::error_code(EINVAL, std::system_category());
    case NLE_NOMEM:
      return std::error_code(ENOMEM, std::system_category());
    default:
      return std::error_code(EIO, std::system_category());
  }
}

Result<Sock> connect() {
  Sock sock(nl_socket_alloc());
  if (!sock) return Errc::exhausted;
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) return nl_error(err);
  return sock;
}

Result<Link> get_link(nl_sock* sock, std::string_view ifname) {
  rtnl_link* link = nullptr;
  const std::string name(ifname);
  if (int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link); err < 0) return nl_error(err);
  return Link(link);
}

std::unique_ptr<nl_addr, NlAddrDeleter> make_addr(const IpAddress& ip, std::uint8_t length) {
  const int family = ip.is_v4() ? AF_INET : AF_INET6;
  const std::uint8_t* bytes = ip.bytes().data();  // v4 in the first 4 bytes
  std::unique_ptr<nl_addr, NlAddrDeleter> a(nl_addr_build(family, bytes, ip.is_v4() ? 4 : 16));
  if (a) nl_addr_set_prefixlen(a.get(), length);
  return a;
}

}  // namespace

Result<int> link_index(std::string_view ifname) {
  auto sock = connect();
  if (!sock) return sock.error();
  auto link = get_link(sock->get(), ifname);
  if (!link) return link.error();
  return rtnl_link_get_ifindex(link->get());
}

Result<void> set_link_up(std::string_view ifname, std::size_t mtu) {
  auto sock = connect();
  if (!sock) return sock.error();
  auto link = get_link(sock->get(), ifname);
  if (!link) return link.error();
  Link change(rtnl_link_alloc());
  if (!change) return Errc::exhausted;
  if (mtu != 0) rtnl_link_set_mtu(change.get(), static_cast<unsigned>(mtu));
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock->get(), link->get(), change.get(), 0); err < 0)
    return nl_error(err);
  return {};
}

Result<void> add_address(std::string_view ifname, const IpPrefix& address) {
  auto index = link_index(ifname);
  if (!index) return index.error();
  auto sock = connect();
  if (!sock) return sock.error();
  std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
  auto local = make_addr(address.address, address.length);
  if (!addr || !local) return Errc::exhausted;
  rtnl_addr_set_ifindex(addr.get(), *index);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) return nl_error(err);
  rtnl_addr_set_prefixlen(addr.get(), address.length);
  const int err = rtnl_addr_add(sock->get(), addr.get(), 0);
  if (err < 0 && -err != NLE_EXIST) return nl_error(err);
  return {};
}

Result<void> add_route(std::string_view ifname, const IpPrefix& prefix) {
  auto index = link_index(ifname);
  if (!index) return index.error();
  auto sock = connect();
  if (!sock) return sock.error();
  std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
  auto clean = IpPrefix::make(prefix.address, prefix.length);
  if (!clean) return clean.error();
  auto dst = make_addr(clean->address, clean->length);
  if (!route || !dst) return Errc::exhausted;
  rtnl_route_set_family(route.get(), prefix.address.is_v4() ? AF_INET : AF_INET6);
  if (int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0) return nl_error(err);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  if (nh == nullptr) return Errc::exhausted;
  rtnl_route_nh_set_ifindex(nh, *index);
  rtnl_route_add_nexthop(route.get(), nh);
  const int err = rtnl_route_add(sock->get(), route.get(), NLM_F_CREATE);
  if (err < 0 && -err != NLE_EXIST) return nl_error(err);
  return {};
}

Result<void> delete_link(std::string_view ifname) {
  auto sock = connect();
  if (!sock) return sock.error();
  auto link = get_link(sock->get(), ifname);
  if (!link) return link.error();
  if (int err = rtnl_link_delete(sock->get(), link->get()); err < 0) return nl_error(err);
  return {};
}

}  // namespace gquic::wireguard::netlink
